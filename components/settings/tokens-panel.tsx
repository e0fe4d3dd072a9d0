"use client";

import { useState } from "react";
import { fetchJson } from "@/lib/api-client";
import type { TokenSummary } from "@/lib/auth/tokens";
import type { UserSummary } from "@/lib/auth/users";
import { useUsers } from "./use-users";
import { When } from "./when";

/** API tokens for scripts: created here (shown once), listed with their last use, revoked. */
export function TokensPanel(props: { initialTokens: TokenSummary[]; users: UserSummary[]; currentUserId: string; tz: string }) {
  const [tokens, setTokens] = useState(props.initialTokens);
  const [users] = useUsers(props.users);
  const [created, setCreated] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<string | null>) {
    setBusy(true);
    setMessage(null);
    try {
      const text = await action();
      if (text) setMessage({ text, error: false });
    } catch (err) {
      setMessage({ text: err instanceof Error ? err.message : String(err), error: true });
    } finally {
      setBusy(false);
    }
  }

  const create = (form: HTMLFormElement) =>
    run(async () => {
      const data = new FormData(form);
      const answer = await fetchJson<{ token: string; summary: TokenSummary }>("/api/tokens", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: data.get("name"), userId: data.get("userId") }),
      });
      setTokens((list) => [answer.summary, ...list]);
      setCreated(answer.token);
      form.reset();
      return null;
    });

  const revoke = (token: TokenSummary) =>
    run(async () => {
      if (!window.confirm(`Revoke "${token.name}"? Scripts using it stop working at once.`)) return null;
      await fetchJson(`/api/tokens/${token.id}`, { method: "DELETE" });
      setTokens((list) => list.map((t) => (t.id === token.id ? { ...t, revokedAt: new Date().toISOString() } : t)));
      return `Revoked "${token.name}".`;
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="tokens-panel">
      <h2>API tokens</h2>
      <p className="text-muted-foreground">
        Scripts send <code>Authorization: Bearer &lt;token&gt;</code> to any <code>/api</code> endpoint and act with the role of the
        token&apos;s owner.
      </p>
      {created && (
        <div className="my-2.5 rounded-lg border border-warning-foreground/30 bg-warning px-3.5 py-2.5 text-warning-foreground" data-testid="new-token">
          <p>
            <strong>Copy this token now: it is not shown again.</strong>
          </p>
          <pre>{created}</pre>
          <div className="my-2.5 flex flex-wrap items-center gap-2.5">
            <button type="button" onClick={() => void navigator.clipboard.writeText(created)}>
              Copy token
            </button>
            <button type="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <form
        className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold"
        onSubmit={(e) => {
          e.preventDefault();
          void create(e.currentTarget);
        }}
      >
        <input type="text" name="name" placeholder="Name, e.g. nightly export" aria-label="Token name" required maxLength={100} />
        <label>
          acting as{" "}
          <select name="userId" defaultValue={props.currentUserId} aria-label="Token owner">
            {users.filter((u) => !u.disabled).map((u) => (
              <option key={u.id} value={u.id}>
                {u.email} ({u.role})
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy}>
          Create token
        </button>
      </form>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Token</th>
            <th>Acts as</th>
            <th>Created ({props.tz})</th>
            <th>Last used</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.length === 0 && (
            <tr>
              <td colSpan={7} className="text-muted-foreground">
                No API tokens yet.
              </td>
            </tr>
          )}
          {tokens.map((t) => (
            <tr key={t.id} data-testid={`token-row-${t.id}`}>
              <td>{t.name}</td>
              <td>
                <code>{t.prefix}…</code>
              </td>
              <td>{t.ownerEmail}</td>
              <td>
                <When iso={t.createdAt} tz={props.tz} />
              </td>
              <td>{t.lastUsedAt ? <When iso={t.lastUsedAt} tz={props.tz} /> : <span className="text-muted-foreground">never</span>}</td>
              <td>{t.revokedAt ? <span className="inline-flex rounded-full border border-destructive/40 bg-destructive/10 px-2 py-0.5 text-xs text-destructive">revoked</span> : "active"}</td>
              <td>
                {!t.revokedAt && (
                  <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => void revoke(t)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {message && (
        <p role={message.error ? "alert" : "status"} className={message.error ? "text-destructive" : "text-muted-foreground"}>
          {message.text}
        </p>
      )}
    </section>
  );
}
