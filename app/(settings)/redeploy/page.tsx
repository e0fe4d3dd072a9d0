import type { Metadata } from "next";
import Link from "next/link";
import { getFormatter, getTranslations } from "next-intl/server";
import { PlanStatusBadge } from "@/components/redeploy/plan-view";
import { requirePageUser } from "@/lib/auth/page";
import { listPlans } from "@/lib/redeploy/plans";
import { redeploySettings } from "@/lib/redeploy/settings";
import { settingsTimeZone } from "../settings/time-zone";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("nav");
  return { title: `${t("redeploy")} · Faultline` };
}

export default async function RedeployPage() {
  const user = await requirePageUser("operator");
  const tz = await settingsTimeZone();
  const t = await getTranslations("redeploy");
  const tNav = await getTranslations("nav");
  const format = await getFormatter();
  const n = (v: number) => format.number(v);
  const settings = await redeploySettings();
  const { items } = await listPlans({ limit: "100" });
  const unavailable = !settings.enabled
    ? t("disabled")
    : !settings.apiKey.masked
      ? t("noKey")
      : null;
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{tNav("redeploy")}</h1>
      <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="redeploy-status">
        <p>
          {t.rich("intro", { incident: (chunks) => <Link href="/incidents">{chunks}</Link>, overview: (chunks) => <Link href="/">{chunks}</Link> })}
        </p>
        {unavailable ? (
          <p className="mt-3 rounded-lg border border-destructive/40 bg-destructive/10 px-4 py-3" role="alert">
            {unavailable} {user.role === "admin" && <Link href="/settings">{t("openSettings")}</Link>}
          </p>
        ) : (
          <p className="text-muted-foreground">
            {t("keyStatus", { key: settings.apiKey.masked ?? "", source: settings.apiKey.source, url: settings.apiUrl, max: n(settings.maxContacts) })}
          </p>
        )}
      </section>
      <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5">
        <h2 className="mb-3">{t("plans")}</h2>
        {items.length === 0 ? (
          <p className="text-muted-foreground" data-testid="plans-empty">
            {t("noPlan")}
          </p>
        ) : (
          <div className="overflow-x-auto" tabIndex={0}>
          <table data-testid="plans-table" className="min-w-[640px]">
            <thead>
              <tr>
                <th className="text-right tabular-nums">#</th>
                <th>{t("status")}</th>
                <th>{t("from")}</th>
                <th className="text-right tabular-nums">{t("contacts")}</th>
                <th className="text-right tabular-nums">{t("sent")}</th>
                <th>{t("made", { tz })}</th>
                <th>{t("by")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id}>
                  <td className="text-right tabular-nums">
                    <Link href={`/redeploy/${p.id}`}>#{p.id}</Link>
                  </td>
                  <td>
                    <PlanStatusBadge status={p.status} />
                  </td>
                  <td>{"incidentId" in p.source ? t("fromIncident", { id: p.source.incidentId }) : new URLSearchParams(p.source.filter).toString() || t("last24h")}</td>
                  <td className="text-right tabular-nums">{n(p.contacts)}</td>
                  <td className="text-right tabular-nums">{n(p.progress.contactsSent)}</td>
                  <td>{format.dateTime(Date.parse(p.createdAt), { timeZone: tz, dateStyle: "medium", timeStyle: "medium" })}</td>
                  <td>{p.createdBy ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        )}
      </section>
    </>
  );
}
