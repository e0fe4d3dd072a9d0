"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { QueryError } from "@/components/query-states";
import { When } from "@/components/settings/when";
import { fetchJson } from "@/lib/api-client";
import type { DeliveryItem } from "@/lib/alerts/deliveries";
import { ActionMessage, useAction } from "./use-action";

interface Page {
  items: DeliveryItem[];
  nextCursor: string | null;
}

const PAGE_SIZE = 100;
const deliveriesKey = ["alert-deliveries"] as const;

const STATUS_CLASS: Record<DeliveryItem["status"], string> = {
  delivered: "inline-flex rounded-full border border-success/40 bg-success/10 px-2 py-0.5 text-xs text-success",
  pending: "inline-flex rounded-full border border-warning-foreground/30 bg-warning px-2 py-0.5 text-xs text-warning-foreground",
  held: "inline-flex rounded-full border border-warning-foreground/30 bg-warning px-2 py-0.5 text-xs text-warning-foreground",
  failed: "inline-flex rounded-full border border-destructive/40 bg-destructive/10 px-2 py-0.5 text-xs text-destructive",
};

/** The delivery log: newest first, refreshed every 5 s, older pages on demand, "Retry now" per row. */
export function DeliveryLog(props: { firstPage: Page; channels: Record<number, string>; rules: Record<number, string>; tz: string }) {
  const client = useQueryClient();
  const first = useQuery({
    queryKey: deliveriesKey,
    queryFn: () => fetchJson<Page>(`/api/alerts/deliveries?limit=${PAGE_SIZE}`),
    initialData: props.firstPage,
    refetchInterval: 5_000,
  });
  const [older, setOlder] = useState<Page[]>([]);
  const { busy, message, run } = useAction();

  const cursor = older.length ? older[older.length - 1]!.nextCursor : first.data.nextCursor;
  const items = [...first.data.items, ...older.flatMap((p) => p.items)].filter((d, i, all) => all.findIndex((x) => x.id === d.id) === i);

  const loadOlder = () =>
    run(async () => {
      if (!cursor) return null;
      const page = await fetchJson<Page>(`/api/alerts/deliveries?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(cursor)}`);
      setOlder((pages) => [...pages, page]);
      return null;
    });

  const retry = (d: DeliveryItem) =>
    run(async () => {
      await fetchJson(`/api/alerts/deliveries/${encodeURIComponent(d.id)}/retry`, { method: "POST" });
      setOlder([]);
      await client.invalidateQueries({ queryKey: deliveriesKey });
      return `Delivery ${d.id} is due now.`;
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="delivery-log">
      <h2>Delivery log</h2>
      <p className="text-muted-foreground">
        Every notification per channel, with its stable id (the <code>webhook-id</code> receivers deduplicate on). Pending ones retry after 30 s, 2 min,
        10 min, 1 h, 3 h, 6 h, then every 6 h for 24 h; held ones wait for the rule&apos;s quiet hours to end. Refreshes every 5 s.
      </p>
      {first.isError && <QueryError error={first.error} onRetry={() => void first.refetch()} what="deliveries" />}
      <table>
        <thead>
          <tr>
            <th>Created ({props.tz})</th>
            <th>Type</th>
            <th>Rule</th>
            <th>Channel</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Last error / next attempt</th>
            <th>Delivered</th>
            <th>Id</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.length === 0 && (
            <tr>
              <td colSpan={10} className="text-muted-foreground">
                Nothing sent yet. Send a test from Settings → Alerts, or wait for a rule to fire.
              </td>
            </tr>
          )}
          {items.map((d) => (
            <tr key={d.id} data-testid="delivery-row" data-status={d.status}>
              <td>
                <When iso={d.createdAt} tz={props.tz} />
              </td>
              <td>{d.type}</td>
              <td>{d.ruleId === null ? <span className="text-muted-foreground">—</span> : (props.rules[d.ruleId] ?? `#${d.ruleId}`)}</td>
              <td>{props.channels[d.channelId] ?? `#${d.channelId}`}</td>
              <td>
                <span className={STATUS_CLASS[d.status]}>{d.status}</span>
                {d.groupId && <div className="text-muted-foreground">grouped</div>}
              </td>
              <td>{d.attempts}</td>
              <td>
                {d.lastError && <span className="text-destructive">{d.lastError}</span>}
                {d.nextAttemptAt && (
                  <div className="text-muted-foreground">
                    next: <When iso={d.nextAttemptAt} tz={props.tz} />
                  </div>
                )}
              </td>
              <td>
                <When iso={d.deliveredAt} tz={props.tz} />
              </td>
              <td>
                <code>{d.id}</code>
              </td>
              <td>
                {d.status !== "delivered" && (
                  <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => void retry(d)}>
                    Retry now
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <div className="my-2.5 flex flex-wrap items-center gap-2.5">
          <button type="button" disabled={busy} onClick={() => void loadOlder()}>
            Load older
          </button>
        </div>
      )}
      <ActionMessage message={message} />
    </section>
  );
}
