"use client";

import { useState } from "react";
import { fetchJson } from "@/lib/api-client";
import type { AuditItem, AuditPage } from "@/lib/auth/audit";
import { When } from "./when";

/** The audit log, newest first, with older pages on demand. */
export function AuditTable({ firstPage, tz }: { firstPage: AuditPage; tz: string }) {
  const [items, setItems] = useState<AuditItem[]>(firstPage.items);
  const [nextBefore, setNextBefore] = useState(firstPage.nextBefore);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function older() {
    if (nextBefore === null) return;
    setBusy(true);
    setError(null);
    try {
      const page = await fetchJson<AuditPage>(`/api/audit?before=${nextBefore}`);
      setItems((list) => [...list, ...page.items]);
      setNextBefore(page.nextBefore);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="audit-log">
      <h2>Audit log</h2>
      <table>
        <thead>
          <tr>
            <th>When ({tz})</th>
            <th>Who</th>
            <th>What</th>
            <th>Target</th>
            <th>Detail</th>
            <th>From</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr key={a.id} data-testid="audit-row" data-action={a.action}>
              <td>
                <When iso={a.at} tz={tz} />
              </td>
              <td>{a.actorEmail ?? <span className="text-muted-foreground">system</span>}</td>
              <td>{a.actionLabel}</td>
              <td>{a.target}</td>
              <td>{a.detail}</td>
              <td>{a.ip ?? <span className="text-muted-foreground">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {nextBefore !== null && (
        <div className="mt-2.5 flex justify-end gap-2">
          <button type="button" onClick={() => void older()} disabled={busy}>
            Older entries
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="text-destructive">
          {error}
        </p>
      )}
    </section>
  );
}
