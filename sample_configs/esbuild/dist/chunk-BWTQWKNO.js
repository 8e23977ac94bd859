var o=e=>`hello ${e}`;export{o as a};
//# sourceMappingURL=chunk-BWTQWKNO.js.map
