"use client";

import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { toast } from "sonner";
import { fetchJson } from "@/lib/api-client";
import type { RedeploySettings } from "@/lib/redeploy/settings";

/** Admins: turn re-deployment on or off, and enter (or remove) the Treble API key, shown masked. */
export function RedeployPanel({ initial }: { initial: RedeploySettings }) {
  const t = useTranslations("redeploySettings");
  const format = useFormatter();
  const [settings, setSettings] = useState(initial);
  const [key, setKey] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(body: { enabled?: boolean; apiKey?: string | null }, done: string) {
    setBusy(true);
    setMessage(null);
    try {
      setSettings(await fetchJson<RedeploySettings>("/api/redeploy/settings", { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }));
      setKey("");
      setMessage(done);
      toast.success(done);
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const { apiKey } = settings;
  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="redeploy-panel">
      <h2 className="mb-2">{t("title")}</h2>
      <p className="text-muted-foreground">
        {t("explain", { url: settings.apiUrl, max: format.number(settings.maxContacts) })}
      </p>
      <label>
        <input type="checkbox" checked={settings.enabled} disabled={busy} onChange={(e) => void save({ enabled: e.target.checked }, e.target.checked ? t("enabledDone") : t("disabledDone"))} data-testid="redeploy-enabled" />{" "}
        {t("enabled")}
      </label>
      <dl className="m-0 grid grid-cols-1 gap-x-3 gap-y-1.5 sm:grid-cols-[180px_1fr] [&_dd]:m-0 [&_dd]:break-words [&_dt]:text-muted-foreground">
        <dt>{t("apiKey")}</dt>
        <dd data-testid="redeploy-key">
          {apiKey.masked ? t("masked", { key: apiKey.masked, source: apiKey.source === "env" ? "env" : "stored" }) : apiKey.unreadable ? t("unreadable") : t("none")}
        </dd>
      </dl>
      {apiKey.source === "env" ? (
        <p className="text-muted-foreground">{t("fromEnv")}</p>
      ) : !settings.canStoreKey ? (
        <p className="text-muted-foreground">{t("needSecret")}</p>
      ) : (
        <form
          className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold"
          onSubmit={(e) => {
            e.preventDefault();
            if (key.trim()) void save({ apiKey: key.trim() }, t("saved"));
          }}
        >
          <input type="password" value={key} onChange={(e) => setKey(e.target.value)} placeholder="ak_…" autoComplete="off" aria-label={t("apiKey")} />
          <button type="submit" className="inline-flex h-9 cursor-pointer items-center rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground hover:bg-primary/90 disabled:cursor-default disabled:opacity-50" disabled={busy || !key.trim()}>
            {t("save")}
          </button>
          {apiKey.masked && (
            <button type="button" disabled={busy} onClick={() => window.confirm(t("confirmRemove")) && void save({ apiKey: null }, t("removed"))}>
              {t("remove")}
            </button>
          )}
        </form>
      )}
      {message && <p role="status">{message}</p>}
    </section>
  );
}
