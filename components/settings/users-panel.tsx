"use client";

import { useState } from "react";
import { fetchJson } from "@/lib/api-client";
import { ROLES, type Role } from "@/lib/auth/roles";
import type { UserSummary } from "@/lib/auth/users";
import { useUsers } from "./use-users";

const json = (method: string, body: unknown): RequestInit => ({ method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** Admins add people, change their role, and disable or enable them. */
export function UsersPanel({ initialUsers, currentUserId }: { initialUsers: UserSummary[]; currentUserId: string }) {
  const [users, setUsers] = useUsers(initialUsers);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ text: await action(), error: false });
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
      return body.role ? `${user.email} is now ${body.role}.` : `${user.email} is ${body.disabled ? "disabled" : "enabled"}.`;
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
      return `Added ${created.email} (${created.role}).`;
    });

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="users-panel">
      <h2>Users</h2>
      <table>
        <thead>
          <tr>
            <th>E-mail</th>
            <th>Name</th>
            <th>Role</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-testid={`user-row-${u.email}`}>
              <td>
                {u.email}
                {u.id === currentUserId && <span className="text-muted-foreground"> (you)</span>}
              </td>
              <td>{u.name}</td>
              <td>
                <select aria-label={`Role of ${u.email}`} value={u.role} disabled={busy} onChange={(e) => change(u, { role: e.target.value as Role })}>
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </td>
              <td>{u.disabled ? <span className="inline-flex rounded-full border border-destructive/40 bg-destructive/10 px-2 py-0.5 text-xs text-destructive">disabled</span> : "active"}</td>
              <td>
                <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => change(u, { disabled: !u.disabled })}>
                  {u.disabled ? "Enable" : "Disable"}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold"
        onSubmit={(e) => {
          e.preventDefault();
          void create(e.currentTarget);
        }}
      >
        <h3>Add a user</h3>
        <input type="email" name="email" placeholder="E-mail" aria-label="E-mail" required />
        <input type="text" name="name" placeholder="Name (optional)" aria-label="Name" />
        <input type="password" name="password" placeholder="Initial password" aria-label="Initial password" autoComplete="new-password" required />
        <select name="role" aria-label="Role" defaultValue="viewer">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy}>
          Add user
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
