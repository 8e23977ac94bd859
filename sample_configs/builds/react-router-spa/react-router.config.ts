import type { Config } from "@react-router/dev/config";

export default {
  // SPA mode: no server render at runtime, one HTML shell for every URL.
  ssr: false,
} satisfies Config;
