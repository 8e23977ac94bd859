// legacy script: its name looks fingerprinted, it is not
window.legacy = true;
