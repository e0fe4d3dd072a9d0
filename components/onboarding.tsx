import Link from "next/link";

/** Shown instead of empty charts until the first event arrives. */
export function Onboarding({ origin }: { origin: string }) {
  const url = `${origin}/api/webhooks/treble?token=<your webhook secret>`;
  return (
    <section className="panel" data-testid="onboarding">
      <h2>No failures received yet</h2>
      <p>
        Point Treble at Faultline: in Treble&apos;s <strong>webhook center</strong>, set the webhook URL to
      </p>
      <pre>{url}</pre>
      <p className="muted">
        Admins find the full URL, secret included, under <Link href="/settings">Settings</Link>; it is also printed in the
        server&apos;s start log (set <code>WEBHOOK_SECRET</code> to choose your own).
      </p>
      <h2>Try it with curl</h2>
      <pre>{`curl -X POST '${url}' \\
  -H 'Content-Type: application/json' \\
  -d '{"event_type":"deployment.failure","event_id":"evt-1","timestamp":"2026-11-25T14:02:00Z",
       "failure_reason":"FAILURE_BY_DISABLED_HSM","line":"+573001112233",
       "hsm":{"name":"welcome_v2"},"user":{"country_code":"+57","cellphone":"3051234567"}}'`}</pre>
      <h2>Or load demo data</h2>
      <pre>{`npm run seed:demo        # ~90 days of realistic history
npm run simulate -- --url '${url}' --rate 200 --duration 60`}</pre>
    </section>
  );
}
