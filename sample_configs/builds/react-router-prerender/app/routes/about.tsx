import type { Route } from "./+types/about";

// Runs at build time only (ssr: false + prerender), its result is written to about.data.
export async function loader() {
  return { builtFor: "nginxcache sample" };
}

export function meta() {
  return [{ title: "About" }];
}

export default function About({ loaderData }: Route.ComponentProps) {
  return (
    <main>
      <h1>About</h1>
      <p>Pre-rendered at build time for {loaderData.builtFor}.</p>
    </main>
  );
}
