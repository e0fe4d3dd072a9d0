"use client";

import { useTranslations } from "next-intl";
import { useState } from "react";
import { toast } from "sonner";
import { fetchJson } from "@/lib/api-client";
import type { IncidentSettings } from "@/lib/incidents/settings";

const MAX_HOURS = 720;

/** Incident settings (admins): how long an incident may stay quiet before the server resolves it. */
export function IncidentSettingsPanel({ initial }: { initial: IncidentSettings }) {
  const t = useTranslations("incidentSettings");
  const [saved, setSaved] = useState(initial);
  const [enabled, setEnabled] = useState(initial.autoResolveAfterHours !== null);
  const [hours, setHours] = useState(String(initial.autoResolveAfterHours ?? 24));
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const value = enabled ? Number(hours) : null;
  const valid = value === null || (Number.isInteger(value) && value >= 1 && value <= MAX_HOURS);

  async function save(e: React.FormEvent) {
    e.preventDefault();
    if (!valid) return;
    setBusy(true);
    setMessage(null);
    try {
      const next = await fetchJson<IncidentSettings>("/api/settings/incidents", {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ autoResolveAfterHours: value }),
      });
      setSaved(next);
      setMessage({ text: t("saved"), error: false });
      toast.success(t("saved"));
    } catch (err) {
      setMessage({ text: err instanceof Error ? err.message : String(err), error: true });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="incident-settings-panel">
      <h2 className="mb-2">{t("title")}</h2>
      <p className="text-muted-foreground">{t("explain")}</p>
      <form className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold" onSubmit={save}>
        <label>
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t("autoResolveAfter")}
        </label>
        <input
          type="number"
          min={1}
          max={MAX_HOURS}
          aria-label={t("hoursLabel")}
          value={hours}
          disabled={!enabled}
          onChange={(e) => setHours(e.target.value)}
          style={{ width: 90 }}
        />
        {t("hoursWithout")}
        <button type="submit" className="inline-flex h-9 cursor-pointer items-center rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground hover:bg-primary/90 disabled:cursor-default disabled:opacity-50" disabled={busy || !valid}>
          {busy ? t("saving") : t("save")}
        </button>
        {!valid && <span className="text-destructive">{t("between", { max: MAX_HOURS })}</span>}
        {message && (
          <span className={message.error ? "text-destructive" : "text-muted-foreground"} role="status">
            {message.text}
          </span>
        )}
      </form>
      <p className="text-xs text-muted-foreground" data-testid="auto-resolve-current">
        {saved.autoResolveAfterHours === null ? t("nowNever") : t("nowAfter", { hours: saved.autoResolveAfterHours })}
      </p>
    </section>
  );
}
