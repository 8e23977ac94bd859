import Link from 'next/link';
import localFont from 'next/font/local';
import './globals.css';

// Source Code Pro (SIL Open Font License 1.1)
const mono = localFont({ src: './source-code-pro-500.woff2', display: 'swap' });

export const metadata = {
  title: 'nginxcache sample (Next.js)',
  description: 'A static export used as a test fixture',
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body className={mono.className}>
        <nav>
          <Link href="/">Home</Link> | <Link href="/about">About</Link> | <Link href="/blog/first-post">First post</Link>
        </nav>
        {children}
      </body>
    </html>
  );
}
