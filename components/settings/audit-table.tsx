"use client";

import { useTranslations } from "next-intl";
import { useState } from "react";
import { fetchJson } from "@/lib/api-client";
import type { AuditItem, AuditPage } from "@/lib/auth/audit";
import { When } from "./when";

/** The audit log, newest first, with older pages on demand. */
export function AuditTable({ firstPage, tz }: { firstPage: AuditPage; tz: string }) {
  const t = useTranslations("audit");
  const tAction = useTranslations("auditActions");
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
      <h2 className="mb-3">{t("title")}</h2>
      <div className="overflow-x-auto">
      <table className="min-w-[720px]">
        <thead>
          <tr>
            <th>{t("when", { tz })}</th>
            <th>{t("who")}</th>
            <th>{t("what")}</th>
            <th>{t("target")}</th>
            <th>{t("detail")}</th>
            <th>{t("from")}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr key={a.id} data-testid="audit-row" data-action={a.action}>
              <td>
                <When iso={a.at} tz={tz} />
              </td>
              <td>{a.actorEmail ?? <span className="text-muted-foreground">{t("system")}</span>}</td>
              <td>{tAction.has(a.action) ? tAction(a.action) : a.actionLabel}</td>
              <td>{a.target}</td>
              <td>{a.detail}</td>
              <td>{a.ip ?? <span className="text-muted-foreground">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      {nextBefore !== null && (
        <div className="mt-2.5 flex justify-end gap-2">
          <button type="button" onClick={() => void older()} disabled={busy}>
            {t("older")}
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
