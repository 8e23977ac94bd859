import type { Config } from "@react-router/dev/config";

export default {
  // Static pre-rendering: these URLs become HTML files at build time.
  ssr: false,
  prerender: ["/", "/about"],
} satisfies Config;
