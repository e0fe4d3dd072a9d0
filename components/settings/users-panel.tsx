"use client";

import { useTranslations } from "next-intl";
import { useState } from "react";
import { toast } from "sonner";
import { fetchJson } from "@/lib/api-client";
import { ROLES, type Role } from "@/lib/auth/roles";
import type { UserSummary } from "@/lib/auth/users";
import { useUsers } from "./use-users";

const json = (method: string, body: unknown): RequestInit => ({ method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** Admins add people, change their role, and disable or enable them. */
export function UsersPanel({ initialUsers, currentUserId }: { initialUsers: UserSummary[]; currentUserId: string }) {
  const t = useTranslations("users");
  const tRole = useTranslations("roles");
  const [users, setUsers] = useUsers(initialUsers);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      const text = await action();
      setMessage({ text, error: false });
      toast.success(text);
    } catch (err) {
      setMessage({ text: err instanceof Error ? err.message : String(err), error: true });
    } finally {
      setBusy(false);
    }
  }

  const replace = (updated: UserSummary) => setUsers((list) => list.map((u) => (u.id === updated.id ? updated : u)));

  const change = (user: UserSummary, body: { role?: Role; disabled?: boolean }) =>
    run(async () => {
      replace(await fetchJson<UserSummary>(`/api/users/${encodeURIComponent(user.id)}`, json("PATCH", body)));
      return body.role ? t("nowRole", { email: user.email, role: tRole(body.role) }) : body.disabled ? t("nowDisabled", { email: user.email }) : t("nowEnabled", { email: user.email });
    });

  const create = (form: HTMLFormElement) =>
    run(async () => {
      const data = new FormData(form);
      const created = await fetchJson<UserSummary>(
        "/api/users",
        json("POST", { email: data.get("email"), name: data.get("name") || undefined, password: data.get("password"), role: data.get("role") }),
      );
      setUsers((list) => [...list, created].sort((a, b) => a.email.localeCompare(b.email)));
      form.reset();
      return t("added", { email: created.email, role: tRole(created.role) });
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="users-panel">
      <h2 className="mb-3">{t("title")}</h2>
      <div className="overflow-x-auto">
      <table className="min-w-[560px]">
        <thead>
          <tr>
            <th>{t("email")}</th>
            <th>{t("name")}</th>
            <th>{t("role")}</th>
            <th>{t("status")}</th>
            <th>
              <span className="sr-only">{t("actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-testid={`user-row-${u.email}`}>
              <td>
                {u.email}
                {u.id === currentUserId && <span className="text-muted-foreground"> {t("you")}</span>}
              </td>
              <td>{u.name}</td>
              <td>
                <select aria-label={t("roleOf", { email: u.email })} value={u.role} disabled={busy} onChange={(e) => change(u, { role: e.target.value as Role })}>
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {tRole(r)}
                    </option>
                  ))}
                </select>
              </td>
              <td>{u.disabled ? <span className="inline-flex rounded-full border border-destructive/40 bg-destructive/10 px-2 py-0.5 text-xs text-destructive">{t("disabled")}</span> : t("active")}</td>
              <td>
                <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => change(u, { disabled: !u.disabled })}>
                  {u.disabled ? t("enable") : t("disable")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      <form
        className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold"
        onSubmit={(e) => {
          e.preventDefault();
          void create(e.currentTarget);
        }}
      >
        <h3>{t("add")}</h3>
        <input type="email" name="email" placeholder={t("email")} aria-label={t("email")} required />
        <input type="text" name="name" placeholder={t("nameOptional")} aria-label={t("name")} />
        <input type="password" name="password" placeholder={t("initialPassword")} aria-label={t("initialPassword")} autoComplete="new-password" required />
        <select name="role" aria-label={t("role")} defaultValue="viewer">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {tRole(r)}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy}>
          {t("addButton")}
        </button>
      </form>
      {message && (
        <p role={message.error ? "alert" : "status"} className={message.error ? "text-destructive" : "text-muted-foreground"} data-testid="users-message">
          {message.text}
        </p>
      )}
    </section>
  );
}
