(()=>{var o=1;console.log(1);})();
//# sourceMappingURL=bundle-IMNWT2K5.digested.js.map
