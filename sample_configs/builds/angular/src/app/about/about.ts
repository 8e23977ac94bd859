import { Component } from '@angular/core';

@Component({
  selector: 'app-about',
  template: `<h1>About</h1><p>nginxcache sample: a second, lazily loaded route.</p>`,
})
export class About {}
