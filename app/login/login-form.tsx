"use client";

import { useActionState } from "react";
import { signInAction, type FormState } from "../auth-actions";

/** "14:32 (in 12 minutes)" in the browser's own time zone. */
function lockedUntilText(iso: string): string {
  const until = new Date(iso);
  const minutes = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000));
  const time = until.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return `${time} (in ${minutes} minute${minutes === 1 ? "" : "s"})`;
}

export function LoginForm({ next }: { next: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(signInAction, {});
  return (
    <form action={action} className="auth-form">
      <input type="hidden" name="next" value={next} />
      <label>
        E-mail
        <input type="email" name="email" autoComplete="username" required defaultValue={state.email} autoFocus />
      </label>
      <label>
        Password
        <input type="password" name="password" autoComplete="current-password" required />
      </label>
      {state.error && (
        <p className="error-inline" role="alert" data-testid="sign-in-error">
          {state.error}
          {state.lockedUntil && (
            <>
              {" "}
              Sign-ins from this address are locked until{" "}
              <time dateTime={state.lockedUntil}>{lockedUntilText(state.lockedUntil)}</time>.
            </>
          )}
        </p>
      )}
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
