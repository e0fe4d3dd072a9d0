"use client";

import { useState } from "react";
import { fetchJson } from "@/lib/api-client";
import type { RedeploySettings } from "@/lib/redeploy/settings";

/** Admins: turn re-deployment on or off, and enter (or remove) the Treble API key, shown masked. */
export function RedeployPanel({ initial }: { initial: RedeploySettings }) {
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
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const { apiKey } = settings;
  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="redeploy-panel">
      <h2>Re-deployment</h2>
      <p className="text-muted-foreground">
        Lets operators send retry plans to Treble&apos;s deployment API ({settings.apiUrl}), at most {settings.maxContacts.toLocaleString("en-US")} contacts per
        plan.
      </p>
      <label>
        <input type="checkbox" checked={settings.enabled} disabled={busy} onChange={(e) => void save({ enabled: e.target.checked }, e.target.checked ? "Re-deployment enabled." : "Re-deployment disabled.")} data-testid="redeploy-enabled" />{" "}
        Re-deployment enabled
      </label>
      <dl className="m-0 grid grid-cols-1 gap-x-3 gap-y-1.5 sm:grid-cols-[180px_1fr] [&_dd]:m-0 [&_dd]:break-words [&_dt]:text-muted-foreground">
        <dt>Treble API key</dt>
        <dd data-testid="redeploy-key">
          {apiKey.masked ? `${apiKey.masked} (${apiKey.source === "env" ? "from TREBLE_API_KEY" : "stored encrypted"})` : apiKey.unreadable ? "stored, but unreadable with the current SECRET_KEY: enter it again" : "none"}
        </dd>
      </dl>
      {apiKey.source === "env" ? (
        <p className="text-muted-foreground">TREBLE_API_KEY is set: change it in the environment.</p>
      ) : !settings.canStoreKey ? (
        <p className="text-muted-foreground">Set SECRET_KEY (at least 16 characters) to store a key here, encrypted; or set TREBLE_API_KEY.</p>
      ) : (
        <form
          className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold"
          onSubmit={(e) => {
            e.preventDefault();
            if (key.trim()) void save({ apiKey: key.trim() }, "API key saved.");
          }}
        >
          <input type="password" value={key} onChange={(e) => setKey(e.target.value)} placeholder="ak_…" autoComplete="off" aria-label="Treble API key" />
          <button type="submit" className="inline-flex h-9 cursor-pointer items-center rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground hover:bg-primary/90 disabled:cursor-default disabled:opacity-50" disabled={busy || !key.trim()}>
            Save key
          </button>
          {apiKey.masked && (
            <button type="button" disabled={busy} onClick={() => window.confirm("Remove the stored Treble API key? Plans being sent will pause.") && void save({ apiKey: null }, "API key removed.")}>
              Remove key
            </button>
          )}
        </form>
      )}
      {message && <p role="status">{message}</p>}
    </section>
  );
}
