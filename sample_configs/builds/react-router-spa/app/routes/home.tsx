import logo from "../logo.svg";

export function meta() {
  return [{ title: "Home" }];
}

export default function Home() {
  return (
    <main>
      <h1>Home</h1>
      <img src={logo} alt="logo" width={64} />
    </main>
  );
}
