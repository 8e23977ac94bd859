import{a as o}from"./chunk-BWTQWKNO.js";document.body.textContent=o("esbuild");import("./lazy-JJKODWXN.js").then(t=>t.lazy());
//# sourceMappingURL=main.js.map
