"use client";

import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { toast } from "sonner";
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
  const t = useTranslations("quarantine");
  const format = useFormatter();
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
      const text = t("reprocessed", { processed: result.processed, accepted: result.accepted, still: result.stillQuarantined });
      setMessage({ kind: "ok", text });
      toast.success(text);
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="quarantine-list">
      <h2>
        {t("title")} <span className="text-xs text-muted-foreground" data-testid="quarantine-total">{format.number(total)}</span>
      </h2>
      <p className="text-muted-foreground">
        {t.rich("explain", { mapping: (chunks) => <Link href="/settings#field-mapping">{chunks}</Link> })}
      </p>
      <div className="my-2.5 flex flex-wrap items-center gap-2.5">
        <button type="button" onClick={() => void reprocess()} disabled={busy || total === 0} data-testid="reprocess">
          {t("reprocess")}
        </button>
      </div>
      {message && (
        <p role={message.kind === "error" ? "alert" : "status"} className={message.kind === "error" ? "text-destructive" : "text-muted-foreground"} data-testid="reprocess-message">
          {message.text}
        </p>
      )}
      {items.length === 0 ? (
        <p className="text-muted-foreground" data-testid="quarantine-empty">
          {t("empty")}
        </p>
      ) : (
        <div className="overflow-x-auto">
        <table className="min-w-[720px]">
          <thead>
            <tr>
              <th>{t("received", { tz })}</th>
              <th>{t("eventType")}</th>
              <th>{t("problems")}</th>
              <th>{t("payload")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id} data-testid="quarantined-row">
                <td>
                  <When iso={e.receivedAt} tz={tz} />
                  <div className="text-xs text-muted-foreground">#{e.id}</div>
                </td>
                <td>{e.eventType ? <code>{e.eventType}</code> : <span className="text-muted-foreground">{t("unreadable")}</span>}</td>
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
        </div>
      )}
      {nextCursor !== null && (
        <div className="mt-2.5 flex justify-end gap-2">
          <button type="button" onClick={() => void more()} disabled={busy}>
            {t("older")}
          </button>
        </div>
      )}
    </section>
  );
}
