// Copied verbatim by copy-webpack-plugin. The name only LOOKS content-hashed:
// the hex run is part of the source file name, not a hash of these bytes.
window.legacyLoaded = true;
