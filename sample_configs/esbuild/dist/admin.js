import{a as o}from"./chunk-BWTQWKNO.js";console.log(o("admin"));
//# sourceMappingURL=admin.js.map
