import Link from "next/link";
import { getTranslations } from "next-intl/server";

/** Shown instead of empty charts until the first event arrives. */
export async function Onboarding({ origin }: { origin: string }) {
  const t = await getTranslations("onboarding");
  const url = `${origin}/api/webhooks/treble?token=<your webhook secret>`;
  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="onboarding">
      <h2 className="mt-4 mb-2">{t("title")}</h2>
      <p>{t.rich("pointTreble", { strong: (chunks) => <strong>{chunks}</strong> })}</p>
      <pre>{url}</pre>
      <p className="text-muted-foreground">
        {t.rich("adminsFind", { settings: (chunks) => <Link href="/settings">{chunks}</Link>, code: (chunks) => <code>{chunks}</code> })}
      </p>
      <h2 className="mt-4 mb-2">{t("curl")}</h2>
      <pre>{`curl -X POST '${url}' \\
  -H 'Content-Type: application/json' \\
  -d '{"event_type":"deployment.failure","event_id":"evt-1","timestamp":"2026-11-25T14:02:00Z",
       "failure_reason":"FAILURE_BY_DISABLED_HSM","line":"+573001112233",
       "hsm":{"name":"welcome_v2"},"user":{"country_code":"+57","cellphone":"3051234567"}}'`}</pre>
      <h2 className="mt-4 mb-2">{t("demo")}</h2>
      <pre>{`npm run seed:demo        # ~90 days of realistic history
npm run simulate -- --url '${url}' --rate 200 --duration 60`}</pre>
    </section>
  );
}
