"use client";

import { useState } from "react";
import { fetchJson } from "@/lib/api-client";
import type { ChannelSummary } from "@/lib/alerts/channels";
import { When } from "@/components/settings/when";
import { ActionMessage, useAction } from "./use-action";

const TYPE_LABELS = { webhook: "Webhook (signed)", slack: "Slack", teams: "Microsoft Teams", email: "E-mail" } as const;
type ChannelType = keyof typeof TYPE_LABELS;

const jsonInit = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { "Content-Type": "application/json" },
  body: body === undefined ? undefined : JSON.stringify(body),
});

/** Alert channels: created here (a webhook's secret shown once), tested, paused, deleted. */
export function ChannelsPanel(props: { channels: ChannelSummary[]; onChange: (channels: ChannelSummary[]) => void; tz: string; smtpConfigured: boolean }) {
  const { channels, onChange } = props;
  const [type, setType] = useState<ChannelType>("webhook");
  const [secret, setSecret] = useState<string | null>(null);
  const { busy, message, run } = useAction();

  const reload = async () => onChange((await fetchJson<{ items: ChannelSummary[] }>("/api/alerts/channels")).items);

  const create = (form: HTMLFormElement) =>
    run(async () => {
      const data = new FormData(form);
      const body =
        type === "email"
          ? { type, name: data.get("name"), to: String(data.get("to") ?? "").split(/[,\s]+/).filter(Boolean) }
          : { type, name: data.get("name"), url: data.get("url") };
      const created = await fetchJson<ChannelSummary & { secret?: string }>("/api/alerts/channels", jsonInit("POST", body));
      setSecret(created.secret ?? null);
      form.reset();
      await reload();
      return `Created channel "${created.name}".`;
    });

  const test = (c: ChannelSummary) =>
    run(async () => {
      try {
        const result = await fetchJson<{ ok: true; status: number }>(`/api/alerts/channels/${c.id}/test`, jsonInit("POST"));
        return `Test sent to "${c.name}": the receiver answered ${result.status}.`;
      } finally {
        await reload();
      }
    });

  const toggle = (c: ChannelSummary) =>
    run(async () => {
      await fetchJson(`/api/alerts/channels/${c.id}`, jsonInit("PATCH", { enabled: !c.enabled }));
      await reload();
      return c.enabled ? `Paused "${c.name}".` : `Resumed "${c.name}".`;
    });

  const rotate = (c: ChannelSummary) =>
    run(async () => {
      if (!window.confirm(`Rotate the signing secret of "${c.name}"? The receiver must switch to the new one.`)) return null;
      setSecret((await fetchJson<{ secret: string }>(`/api/alerts/channels/${c.id}/rotate-secret`, jsonInit("POST"))).secret);
      return `New secret for "${c.name}".`;
    });

  const remove = (c: ChannelSummary) =>
    run(async () => {
      if (!window.confirm(`Delete "${c.name}"? Rules stop notifying it and its waiting deliveries fail.`)) return null;
      await fetchJson(`/api/alerts/channels/${c.id}`, jsonInit("DELETE"));
      await reload();
      return `Deleted "${c.name}".`;
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="channels-panel">
      <h2>Channels</h2>
      <p className="text-muted-foreground">
        Where notifications go. Webhooks are signed per Standard Webhooks (<code>webhook-id</code>, <code>webhook-timestamp</code>,{" "}
        <code>webhook-signature</code>); Slack and Teams take their incoming-webhook / Workflows URL; e-mail goes out over <code>SMTP_URL</code>.
      </p>
      {secret && (
        <div className="my-2.5 rounded-lg border border-warning-foreground/30 bg-warning px-3.5 py-2.5 text-warning-foreground" data-testid="channel-secret">
          <p>
            <strong>Signing secret — copy it now: it is not shown again.</strong>
          </p>
          <pre>{secret}</pre>
          <div className="my-2.5 flex flex-wrap items-center gap-2.5">
            <button type="button" onClick={() => void navigator.clipboard.writeText(secret)}>
              Copy secret
            </button>
            <button type="button" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <form
        className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold"
        data-testid="channel-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create(e.currentTarget);
        }}
      >
        <select aria-label="Channel type" value={type} onChange={(e) => setType(e.target.value as ChannelType)}>
          {(Object.keys(TYPE_LABELS) as ChannelType[]).map((t) => (
            <option key={t} value={t}>
              {TYPE_LABELS[t]}
            </option>
          ))}
        </select>
        <input type="text" name="name" aria-label="Channel name" placeholder="Name, e.g. #campaign-ops" required maxLength={100} />
        {type === "email" ? (
          <input type="text" name="to" aria-label="Recipients" placeholder="ops@example.com, lead@example.com" required size={40} />
        ) : (
          <input type="url" name="url" aria-label="Channel URL" placeholder="https://…" required size={40} />
        )}
        <button type="submit" disabled={busy}>
          Add channel
        </button>
      </form>
      {type === "email" && !props.smtpConfigured && (
        <p className="text-destructive" role="alert">
          SMTP_URL is not set: e-mail notifications wait (and retry) until it is.
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Target</th>
            <th>Status</th>
            <th>Last success ({props.tz})</th>
            <th>Last error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {channels.length === 0 && (
            <tr>
              <td colSpan={7} className="text-muted-foreground">
                No channels yet: add one above, then a rule.
              </td>
            </tr>
          )}
          {channels.map((c) => (
            <tr key={c.id} data-testid={`channel-row-${c.id}`}>
              <td>{c.name}</td>
              <td>{TYPE_LABELS[c.type]}</td>
              <td>
                <code>{c.url ?? c.to?.join(", ")}</code>
              </td>
              <td>
                {c.enabled ? "active" : <span className="inline-flex rounded-full border border-destructive/40 bg-destructive/10 px-2 py-0.5 text-xs text-destructive">{c.disabledReason ? "disabled" : "paused"}</span>}
                {c.disabledReason && <div className="text-muted-foreground">{c.disabledReason}</div>}
              </td>
              <td>{c.lastSuccessAt ? <When iso={c.lastSuccessAt} tz={props.tz} /> : <span className="text-muted-foreground">never</span>}</td>
              <td>
                {c.lastError ? (
                  <>
                    <When iso={c.lastErrorAt} tz={props.tz} /> <span className="text-destructive">{c.lastError}</span>
                  </>
                ) : (
                  <span className="text-muted-foreground">—</span>
                )}
              </td>
              <td>
                <div className="my-2.5 flex flex-wrap items-center gap-2.5">
                  <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => void test(c)}>
                    Send test
                  </button>
                  <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => void toggle(c)}>
                    {c.enabled ? "Pause" : "Resume"}
                  </button>
                  {c.type === "webhook" && (
                    <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => void rotate(c)}>
                      Rotate secret
                    </button>
                  )}
                  <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => void remove(c)}>
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ActionMessage message={message} />
    </section>
  );
}
