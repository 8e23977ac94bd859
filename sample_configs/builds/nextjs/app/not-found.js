export default function NotFound() {
  return (
    <main>
      <h1>404 - not found</h1>
    </main>
  );
}
