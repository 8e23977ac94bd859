export function meta() {
  return [{ title: "About" }];
}

export default function About() {
  return (
    <main>
      <h1>About</h1>
      <p>nginxcache sample: a second route, code-split into its own chunk.</p>
    </main>
  );
}
