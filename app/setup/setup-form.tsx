"use client";

import { useActionState } from "react";
import { setupAction, type FormState } from "../auth-actions";

export function SetupForm({ minPasswordLength, code }: { minPasswordLength: number; code: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(setupAction, {});
  return (
    <form action={action} className="auth-form">
      <input type="hidden" name="code" value={code} />
      <label>
        Name
        <input type="text" name="name" autoComplete="name" />
      </label>
      <label>
        E-mail
        <input type="email" name="email" autoComplete="username" required defaultValue={state.email} />
      </label>
      <label>
        Password <span className="muted small">(at least {minPasswordLength} characters)</span>
        <input type="password" name="password" autoComplete="new-password" required minLength={minPasswordLength} />
      </label>
      <label>
        Repeat the password
        <input type="password" name="confirm" autoComplete="new-password" required minLength={minPasswordLength} />
      </label>
      {state.error && (
        <p className="error-inline" role="alert">
          {state.error}
        </p>
      )}
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Creating…" : "Create admin account"}
      </button>
    </form>
  );
}
