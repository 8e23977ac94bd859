// Not a build-tool hash: this name only looks fingerprinted.
console.log("legacy script");
