"use client";

import { useTranslations } from "next-intl";
import { useState } from "react";
import { toast } from "sonner";
import { fetchJson } from "@/lib/api-client";
import type { TokenSummary } from "@/lib/auth/tokens";
import type { UserSummary } from "@/lib/auth/users";
import { useUsers } from "./use-users";
import { When } from "./when";

/** API tokens for scripts: created here (shown once), listed with their last use, revoked. */
export function TokensPanel(props: { initialTokens: TokenSummary[]; users: UserSummary[]; currentUserId: string; tz: string }) {
  const t = useTranslations("tokens");
  const tRole = useTranslations("roles");
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
      if (text) {
        setMessage({ text, error: false });
        toast.success(text);
      }
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
      if (!window.confirm(t("confirmRevoke", { name: token.name }))) return null;
      await fetchJson(`/api/tokens/${token.id}`, { method: "DELETE" });
      setTokens((list) => list.map((x) => (x.id === token.id ? { ...x, revokedAt: new Date().toISOString() } : x)));
      return t("revoked", { name: token.name });
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="tokens-panel">
      <h2 className="mb-2">{t("title")}</h2>
      <p className="text-muted-foreground">{t.rich("explain", { code: (chunks) => <code>{chunks}</code> })}</p>
      {created && (
        <div className="my-2.5 rounded-lg border border-warning-foreground/30 bg-warning px-3.5 py-2.5 text-warning-foreground" data-testid="new-token">
          <p>
            <strong>{t("copyNow")}</strong>
          </p>
          <pre>{created}</pre>
          <div className="my-2.5 flex flex-wrap items-center gap-2.5">
            <button type="button" onClick={() => void navigator.clipboard.writeText(created)}>
              {t("copy")}
            </button>
            <button type="button" onClick={() => setCreated(null)}>
              {t("done")}
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
        <input type="text" name="name" placeholder={t("namePlaceholder")} aria-label={t("name")} required maxLength={100} />
        <label>
          {t("actingAs")}{" "}
          <select name="userId" defaultValue={props.currentUserId} aria-label={t("owner")}>
            {users.filter((u) => !u.disabled).map((u) => (
              <option key={u.id} value={u.id}>
                {u.email} ({tRole(u.role)})
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy}>
          {t("create")}
        </button>
      </form>
      <div className="overflow-x-auto">
      <table className="min-w-[640px]">
        <thead>
          <tr>
            <th>{t("nameColumn")}</th>
            <th>{t("token")}</th>
            <th>{t("actsAs")}</th>
            <th>{t("created", { tz: props.tz })}</th>
            <th>{t("lastUsed")}</th>
            <th>{t("status")}</th>
            <th>
              <span className="sr-only">{t("actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.length === 0 && (
            <tr>
              <td colSpan={7} className="text-muted-foreground">
                {t("none")}
              </td>
            </tr>
          )}
          {tokens.map((token) => (
            <tr key={token.id} data-testid={`token-row-${token.id}`}>
              <td>{token.name}</td>
              <td>
                <code>{token.prefix}…</code>
              </td>
              <td>{token.ownerEmail}</td>
              <td>
                <When iso={token.createdAt} tz={props.tz} />
              </td>
              <td>{token.lastUsedAt ? <When iso={token.lastUsedAt} tz={props.tz} /> : <span className="text-muted-foreground">{t("never")}</span>}</td>
              <td>
                {token.revokedAt ? (
                  <span className="inline-flex rounded-full border border-destructive/40 bg-destructive/10 px-2 py-0.5 text-xs text-destructive">{t("revokedBadge")}</span>
                ) : (
                  t("active")
                )}
              </td>
              <td>
                {!token.revokedAt && (
                  <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => void revoke(token)}>
                    {t("revoke")}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      {message && (
        <p role={message.error ? "alert" : "status"} className={message.error ? "text-destructive" : "text-muted-foreground"}>
          {message.text}
        </p>
      )}
    </section>
  );
}
