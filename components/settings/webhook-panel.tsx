"use client";

import { useTranslations } from "next-intl";
import { useState } from "react";
import { toast } from "sonner";
import { fetchJson } from "@/lib/api-client";
import { WEBHOOK_GRACE_HOURS } from "@/lib/ingest/webhook-grace";
import { When } from "./when";

interface Status {
  secret: string;
  source: "env" | "database";
  previousValidUntil: string | null;
  url: string;
}

/** The webhook URL to paste into Treble (revealed on demand), and rotation of its secret. */
export function WebhookPanel(props: { source: "env" | "database"; previousValidUntil: string | null; tz: string }) {
  const t = useTranslations("webhook");
  const [status, setStatus] = useState<Status | null>(null);
  const [grace, setGrace] = useState<number>(24);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const previousValidUntil = status ? status.previousValidUntil : props.previousValidUntil;

  async function load(): Promise<Status> {
    const next = await fetchJson<Status>("/api/webhook-secret");
    setStatus(next);
    return next;
  }

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setMessage(null);
    try {
      await action();
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const copy = () =>
    run(async () => {
      const { url } = status ?? (await load());
      await navigator.clipboard.writeText(url);
      setMessage(t("copied"));
      toast.success(t("copied"));
    });

  const rotate = () =>
    run(async () => {
      if (!window.confirm(t("confirmRotate", { hours: grace }))) return;
      setStatus(await fetchJson<Status>("/api/webhook-secret", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ graceHours: grace }) }));
      setMessage(t("rotated"));
      toast.success(t("rotated"));
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="webhook-panel">
      <h2 className="mb-2">{t("title")}</h2>
      <p>{t("paste")}</p>
      <pre data-testid="webhook-url">{status ? status.url : "…/api/webhooks/treble?token=••••••••"}</pre>
      <div className="my-2.5 flex flex-wrap items-center gap-2.5">
        {!status && (
          <button type="button" onClick={() => run(async () => void (await load()))} disabled={busy}>
            {t("reveal")}
          </button>
        )}
        <button type="button" onClick={copy} disabled={busy}>
          {t("copy")}
        </button>
      </div>
      {status && (
        <p>
          {t("secret")} <code data-testid="webhook-secret">{status.secret}</code>
        </p>
      )}
      {previousValidUntil && (
        <p data-testid="previous-secret">
          {t.rich("previousUntil", { tz: props.tz, when: () => <When iso={previousValidUntil} tz={props.tz} /> })}
        </p>
      )}
      {props.source === "env" ? (
        <p className="text-muted-foreground" data-testid="webhook-env">
          {t.rich("fromEnv", { code: (chunks) => <code>{chunks}</code> })}
        </p>
      ) : (
        <div className="my-2.5 flex flex-wrap items-center gap-2.5">
          <label>
            {t("keepFor")}{" "}
            <select value={grace} onChange={(e) => setGrace(Number(e.target.value))} data-testid="grace-select">
              {WEBHOOK_GRACE_HOURS.map((h) => (
                <option key={h} value={h}>
                  {t("grace", { hours: h })}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={rotate} disabled={busy}>
            {t("rotate")}
          </button>
        </div>
      )}
      {message && (
        <p role="status" className="text-muted-foreground">
          {message}
        </p>
      )}
    </section>
  );
}
