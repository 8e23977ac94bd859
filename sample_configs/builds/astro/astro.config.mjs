// @ts-check
import { defineConfig } from 'astro/config';

// output: 'static' is the default
export default defineConfig({});
