(0,globalThis.parcelRequire5eb5.register)("b4obB",function(e,o){function l(){console.log("lazy")}Object.defineProperty(e.exports,"lazy",{get:()=>l,set:void 0,enumerable:!0,configurable:!0})});
//# sourceMappingURL=lazy.9853b53b.js.map
