/* copied verbatim from public/: the name looks hashed, the content is not addressed by it */
console.log("legacy script");
