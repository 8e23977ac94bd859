var o=()=>console.log("lazy chunk");export{o as lazy};
//# sourceMappingURL=lazy-JJKODWXN.js.map
