"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { QueryError } from "@/components/query-states";
import { When } from "@/components/settings/when";
import { fetchJson } from "@/lib/api-client";
import type { DeliveryItem } from "@/lib/alerts/deliveries";
import { AdminPanel, ItemTable, RowActions } from "./admin-list";
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
  const t = useTranslations("alertSettings");
  const tStatus = useTranslations("deliveryStatus");
  const tType = useTranslations("notificationTypes");
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
      return t("dueNow", { id: d.id });
    });

  return (
    <AdminPanel title={t("deliveryLog")} testId="delivery-log">
      <p className="text-muted-foreground">{t.rich("deliveryLogIntro", { code: (chunks) => <code>{chunks}</code> })}</p>
      {first.isError && <QueryError error={first.error} onRetry={() => void first.refetch()} what="deliveries" />}
      <ItemTable
        headers={[t("created", { tz: props.tz }), t("type"), t("rule"), t("channel"), t("status"), t("attempts"), t("lastErrorNext"), t("delivered"), t("id"), ""]}
        empty={t("nothingSent")}
        isEmpty={items.length === 0}
      >
        {items.map((d) => (
          <tr key={d.id} data-testid="delivery-row" data-status={d.status}>
            <td>
              <When iso={d.createdAt} tz={props.tz} />
            </td>
            <td>
              {tType(d.type.replace(".", "_"))} <code className="text-xs">{d.type}</code>
            </td>
            <td>{d.ruleId === null ? <span className="text-muted-foreground">—</span> : (props.rules[d.ruleId] ?? `#${d.ruleId}`)}</td>
            <td>{props.channels[d.channelId] ?? `#${d.channelId}`}</td>
            <td>
              <span className={STATUS_CLASS[d.status]}>{tStatus(d.status)}</span>
              {d.groupId && <div className="text-muted-foreground">{t("grouped")}</div>}
            </td>
            <td>{d.attempts}</td>
            <td>
              {d.lastError && <span className="text-destructive">{d.lastError}</span>}
              {d.nextAttemptAt && (
                <div className="text-muted-foreground">
                  {t("next")} <When iso={d.nextAttemptAt} tz={props.tz} />
                </div>
              )}
            </td>
            <td>
              <When iso={d.deliveredAt} tz={props.tz} />
            </td>
            <td>
              <code>{d.id}</code>
            </td>
            <td>{d.status !== "delivered" && <RowActions busy={busy} actions={[{ label: t("retryNow"), onClick: () => void retry(d) }]} />}</td>
          </tr>
        ))}
      </ItemTable>
      {cursor && (
        <div className="my-2.5 flex flex-wrap items-center gap-2.5">
          <button type="button" disabled={busy} onClick={() => void loadOlder()}>
            {t("loadOlder")}
          </button>
        </div>
      )}
      <ActionMessage message={message} />
    </AdminPanel>
  );
}
