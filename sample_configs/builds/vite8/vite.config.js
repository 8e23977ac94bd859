import { defineConfig } from "vite";

export default defineConfig({
  build: {
    // writes dist/.vite/manifest.json mapping source files to hashed outputs
    manifest: true,
  },
});
