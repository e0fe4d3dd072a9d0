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
  delivered: "status status-resolved",
  pending: "status status-acknowledged",
  held: "status status-acknowledged",
  failed: "status status-open",
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
    <section className="panel" data-testid="delivery-log">
      <h2>Delivery log</h2>
      <p className="muted">
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
              <td colSpan={10} className="muted">
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
              <td>{d.ruleId === null ? <span className="muted">—</span> : (props.rules[d.ruleId] ?? `#${d.ruleId}`)}</td>
              <td>{props.channels[d.channelId] ?? `#${d.channelId}`}</td>
              <td>
                <span className={STATUS_CLASS[d.status]}>{d.status}</span>
                {d.groupId && <div className="muted">grouped</div>}
              </td>
              <td>{d.attempts}</td>
              <td>
                {d.lastError && <span className="error-inline">{d.lastError}</span>}
                {d.nextAttemptAt && (
                  <div className="muted">
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
                  <button type="button" className="link" disabled={busy} onClick={() => void retry(d)}>
                    Retry now
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <div className="actions">
          <button type="button" disabled={busy} onClick={() => void loadOlder()}>
            Load older
          </button>
        </div>
      )}
      <ActionMessage message={message} />
    </section>
  );
}
