"use client";

import { useState } from "react";
import { fetchJson } from "@/lib/api-client";
import { WEBHOOK_GRACE_HOURS } from "@/lib/ingest/webhook-grace";
import { When } from "./when";

interface Status {
  secret: string;
  source: "env" | "database";
  previousValidUntil: string | null;
  url: string;
}

const GRACE_LABELS: Record<(typeof WEBHOOK_GRACE_HOURS)[number], string> = { 0: "none (refuse it at once)", 1: "1 hour", 24: "24 hours", 168: "7 days" };

/** The webhook URL to paste into Treble (revealed on demand), and rotation of its secret. */
export function WebhookPanel(props: { source: "env" | "database"; previousValidUntil: string | null; tz: string }) {
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
      setMessage("Webhook URL copied.");
    });

  const rotate = () =>
    run(async () => {
      const hint = grace > 0 ? `The current secret keeps working for ${GRACE_LABELS[grace as keyof typeof GRACE_LABELS]}.` : "The current secret stops working at once.";
      if (!window.confirm(`Rotate the webhook secret? ${hint} Update the URL in Treble's webhook center afterwards.`)) return;
      setStatus(await fetchJson<Status>("/api/webhook-secret", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ graceHours: grace }) }));
      setMessage("Secret rotated: paste the new URL into Treble's webhook center.");
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="webhook-panel">
      <h2>Webhook</h2>
      <p>Paste this URL into the &ldquo;Webhook URL&rdquo; field of Treble&apos;s webhook center:</p>
      <pre data-testid="webhook-url">{status ? status.url : "…/api/webhooks/treble?token=••••••••"}</pre>
      <div className="my-2.5 flex flex-wrap items-center gap-2.5">
        {!status && (
          <button type="button" onClick={() => run(async () => void (await load()))} disabled={busy}>
            Reveal URL and secret
          </button>
        )}
        <button type="button" onClick={copy} disabled={busy}>
          Copy URL
        </button>
      </div>
      {status && (
        <p>
          Secret: <code data-testid="webhook-secret">{status.secret}</code>
        </p>
      )}
      {previousValidUntil && (
        <p data-testid="previous-secret">
          The previous secret is still accepted until <When iso={previousValidUntil} tz={props.tz} /> ({props.tz}).
        </p>
      )}
      {props.source === "env" ? (
        <p className="text-muted-foreground" data-testid="webhook-env">
          The secret comes from the <code>WEBHOOK_SECRET</code> environment variable: rotate it by changing the variable and restarting
          the server.
        </p>
      ) : (
        <div className="my-2.5 flex flex-wrap items-center gap-2.5">
          <label>
            Keep the current secret working for{" "}
            <select value={grace} onChange={(e) => setGrace(Number(e.target.value))} data-testid="grace-select">
              {WEBHOOK_GRACE_HOURS.map((h) => (
                <option key={h} value={h}>
                  {GRACE_LABELS[h]}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={rotate} disabled={busy}>
            Rotate secret
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
