export const metadata = { title: 'About' };

export default function About() {
  return (
    <main>
      <h1>About</h1>
      <p>This page is prerendered by <code>next build</code> with <code>output: &apos;export&apos;</code>.</p>
    </main>
  );
}
