import { headers } from "next/headers";
import { Onboarding } from "@/components/onboarding";
import { ReasonClassBadge } from "@/components/reason-class-badge";
import { getIngestSummary } from "@/lib/queries/summary";

export const dynamic = "force-dynamic";

const number = new Intl.NumberFormat("en-US");

export default async function OverviewPage() {
  const summary = getIngestSummary();
  if (summary.events === 0) {
    const h = await headers();
    const proto = h.get("x-forwarded-proto") ?? "http";
    return <Onboarding origin={`${proto}://${h.get("host") ?? "localhost:3000"}`} />;
  }
  return (
    <>
      <div className="tiles">
        <div className="tile" data-testid="tile-failures">
          <div className="label">Failures received</div>
          <div className="value">{number.format(summary.failures)}</div>
        </div>
        <div className="tile">
          <div className="label">Events received</div>
          <div className="value">{number.format(summary.events)}</div>
        </div>
        <div className="tile">
          <div className="label">Last received (UTC)</div>
          <div className="value" style={{ fontSize: 16 }}>
            {summary.lastReceivedAt ? new Date(summary.lastReceivedAt).toISOString().replace("T", " ").slice(0, 19) : "—"}
          </div>
        </div>
      </div>
      <section className="panel">
        <h2>Failures by reason (all time)</h2>
        <table data-testid="by-reason">
          <thead>
            <tr>
              <th>Reason</th>
              <th>Code</th>
              <th>Class</th>
              <th className="num">Failures</th>
            </tr>
          </thead>
          <tbody>
            {summary.byReason.map((r) => (
              <tr key={r.reason}>
                <td>{r.label}</td>
                <td>
                  <code>{r.reason}</code>
                </td>
                <td>
                  <ReasonClassBadge reasonClass={r.reasonClass} />
                </td>
                <td className="num">{number.format(r.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
