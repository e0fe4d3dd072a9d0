import type { Metadata } from "next";
import Link from "next/link";
import { PlanStatusBadge } from "@/components/redeploy/plan-view";
import { requirePageUser } from "@/lib/auth/page";
import { listPlans } from "@/lib/redeploy/plans";
import { redeploySettings } from "@/lib/redeploy/settings";
import { formatInTimeZone } from "@/lib/time/format";
import { settingsTimeZone } from "../settings/time-zone";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Re-deploy · Faultline" };

const n = (v: number) => v.toLocaleString("en-US");

export default async function RedeployPage() {
  const user = await requirePageUser("operator");
  const tz = await settingsTimeZone();
  const settings = redeploySettings();
  const { items } = listPlans({ limit: "100" });
  const unavailable = !settings.enabled
    ? "Re-deployment is disabled by an admin."
    : !settings.apiKey.masked
      ? "No Treble API key yet: set TREBLE_API_KEY, or an admin enters it under Settings."
      : null;
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">Re-deploy</h1>
      <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="redeploy-status">
        <p>
          Send the contacts worth retrying back through Treble&apos;s deployment API. Make a plan from an{" "}
          <Link href="/incidents">incident</Link> or from any filtered view (&ldquo;Re-deploy contacts…&rdquo; beside the retry list on the{" "}
          <Link href="/">overview</Link>): a dry run shows exactly who would be sent; you type the count to send it.
        </p>
        {unavailable ? (
          <p className="query-error" role="alert">
            {unavailable} {user.role === "admin" && <Link href="/settings">Open Settings</Link>}
          </p>
        ) : (
          <p className="text-muted-foreground">
            API key {settings.apiKey.masked} ({settings.apiKey.source === "env" ? "TREBLE_API_KEY" : "set in Settings"}) · {settings.apiUrl} · at most{" "}
            {n(settings.maxContacts)} contacts per plan.
          </p>
        )}
      </section>
      <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5">
        <h2>Plans</h2>
        {items.length === 0 ? (
          <p className="text-muted-foreground" data-testid="plans-empty">
            No plan yet.
          </p>
        ) : (
          <table data-testid="plans-table">
            <thead>
              <tr>
                <th className="text-right tabular-nums">#</th>
                <th>Status</th>
                <th>From</th>
                <th className="text-right tabular-nums">Contacts</th>
                <th className="text-right tabular-nums">Sent</th>
                <th>Made ({tz})</th>
                <th>By</th>
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
                  <td>{"incidentId" in p.source ? `incident #${p.source.incidentId}` : new URLSearchParams(p.source.filter).toString() || "last 24 h"}</td>
                  <td className="text-right tabular-nums">{n(p.contacts)}</td>
                  <td className="text-right tabular-nums">{n(p.progress.contactsSent)}</td>
                  <td>{formatInTimeZone(Date.parse(p.createdAt), tz, "full")}</td>
                  <td>{p.createdBy ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
