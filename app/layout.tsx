import type { Metadata } from "next";
import Link from "next/link";
import "./globals.css";

export const metadata: Metadata = {
  title: "Faultline",
  description: "Treble.ai deployment failures, by reason, line and template",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="top">
          <Link href="/" className="brand">
            Faultline
          </Link>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
