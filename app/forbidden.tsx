import type { Metadata } from "next";

export const metadata: Metadata = { title: "Not allowed · Faultline" };

/** 403 (forbidden() in a page or action), e.g. /setup without the code from the start log. */
export default function Forbidden() {
  return (
    <main className="auth-page">
      <section className="panel auth-card" data-testid="forbidden">
        <h1>Not allowed</h1>
        <p className="muted">
          Setting up a new Faultline server? Open the setup URL printed in its start log (<code>/setup?code=…</code>); each
          start prints a new one until the first admin exists.
        </p>
      </section>
    </main>
  );
}
