"use strict";(globalThis.webpackChunkcrasample||=[]).push([[16],{16(a,u,e){function l(){return"lazy"}e.r(u),e.d(u,{default:()=>l})}}]);
//# sourceMappingURL=16.b02aa0ef.chunk.js.map