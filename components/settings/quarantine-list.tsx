"use client";

import Link from "next/link";
import { useState } from "react";
import { fetchJson } from "@/lib/api-client";
import type { ReprocessResult } from "@/lib/ingest/reprocess";
import type { QuarantinedEvent, QuarantinePage } from "@/lib/queries/quarantine";
import { When } from "./when";

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Quarantined events (newest first) with their problems and raw payloads, and re-processing. */
export function QuarantineList({ firstPage, tz }: { firstPage: QuarantinePage; tz: string }) {
  const [items, setItems] = useState<QuarantinedEvent[]>(firstPage.items);
  const [nextCursor, setNextCursor] = useState(firstPage.nextCursor);
  const [total, setTotal] = useState(firstPage.total);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setMessage(null);
    try {
      await action();
    } catch (err) {
      setMessage({ kind: "error", text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  }

  const more = () =>
    run(async () => {
      if (!nextCursor) return;
      const page = await fetchJson<QuarantinePage>(`/api/events/quarantined?cursor=${encodeURIComponent(nextCursor)}`);
      setItems((list) => [...list, ...page.items]);
      setNextCursor(page.nextCursor);
      setTotal(page.total);
    });

  const reprocess = () =>
    run(async () => {
      const result = await fetchJson<ReprocessResult>("/api/events/reprocess", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ scope: "quarantined" }),
      });
      const page = await fetchJson<QuarantinePage>("/api/events/quarantined");
      setItems(page.items);
      setNextCursor(page.nextCursor);
      setTotal(page.total);
      setMessage({
        kind: "ok",
        text: `Re-processed ${result.processed}: ${result.accepted} became failures (or statuses, sessions), ${result.stillQuarantined} still quarantined.`,
      });
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="quarantine-list">
      <h2>
        Quarantined events <span className="text-xs text-muted-foreground" data-testid="quarantine-total">{total.toLocaleString("en-US")}</span>
      </h2>
      <p className="text-muted-foreground">
        Authenticated events whose fields could not be read are kept here verbatim and answered 200, so Treble never drops them; they are not
        counted as failures. Map their fields under <Link href="/settings#field-mapping">Settings → Field mapping</Link>, then re-process them: those
        that now pass become failures as if they had just arrived, at their original receipt time.
      </p>
      <div className="my-2.5 flex flex-wrap items-center gap-2.5">
        <button type="button" onClick={() => void reprocess()} disabled={busy || total === 0} data-testid="reprocess">
          Re-process quarantined events
        </button>
      </div>
      {message && (
        <p role={message.kind === "error" ? "alert" : "status"} className={message.kind === "error" ? "text-destructive" : "text-muted-foreground"} data-testid="reprocess-message">
          {message.text}
        </p>
      )}
      {items.length === 0 ? (
        <p className="text-muted-foreground" data-testid="quarantine-empty">
          Nothing is quarantined: every event received was read.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Received ({tz})</th>
              <th>Event type</th>
              <th>Problems</th>
              <th>Payload (as received)</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id} data-testid="quarantined-row">
                <td>
                  <When iso={e.receivedAt} tz={tz} />
                  <div className="text-xs text-muted-foreground">#{e.id}</div>
                </td>
                <td>{e.eventType ? <code>{e.eventType}</code> : <span className="text-muted-foreground">unreadable</span>}</td>
                <td>
                  <ul className="m-0 pl-5">
                    {e.problems.map((p, i) => (
                      <li key={i}>
                        {p.path && <code>{p.path}</code>} {p.message}
                      </li>
                    ))}
                  </ul>
                </td>
                <td>
                  <pre className="max-h-60 overflow-auto text-xs break-all whitespace-pre-wrap sm:min-w-[380px]" data-testid="quarantined-payload">
                    {prettyJson(e.payload)}
                  </pre>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {nextCursor !== null && (
        <div className="mt-2.5 flex justify-end gap-2">
          <button type="button" onClick={() => void more()} disabled={busy}>
            Older events
          </button>
        </div>
      )}
    </section>
  );
}
