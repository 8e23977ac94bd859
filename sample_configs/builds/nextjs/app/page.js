import Image from 'next/image';
import logo from './logo.png';
import Counter from './counter';

export default function Home() {
  return (
    <main>
      <h1>Home</h1>
      <Image src={logo} alt="logo" unoptimized />
      <Counter />
    </main>
  );
}
