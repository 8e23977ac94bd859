import { Component } from '@angular/core';

@Component({
  selector: 'app-home',
  template: `<h1>Home</h1><p>nginxcache sample: Angular home page.</p><img src="/logo.svg" alt="logo" width="64">`,
})
export class Home {}
