"use client";

import { useFormatter, useTranslations } from "next-intl";
import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/input";
import { signInAction, type FormState } from "../auth-actions";

/** "14:32" and how many minutes from now, in the browser's own time zone. */
function lockedUntilParts(iso: string, format: ReturnType<typeof useFormatter>): { time: string; minutes: number } {
  const until = new Date(iso);
  return {
    time: format.dateTime(until, { hour: "2-digit", minute: "2-digit", timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
    minutes: Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000)),
  };
}

export function LoginForm({ next }: { next: string }) {
  const t = useTranslations("auth");
  const format = useFormatter();
  const [state, action, pending] = useActionState<FormState, FormData>(signInAction, {});
  const lockedUntilText = (iso: string) => t("lockedTime", lockedUntilParts(iso, format));
  return (
    <form action={action} className="flex flex-col gap-3">
      <input type="hidden" name="next" value={next} />
      <Label>
        {t("email")}
        <Input type="email" name="email" autoComplete="username" required defaultValue={state.email} autoFocus />
      </Label>
      <Label>
        {t("password")}
        <Input type="password" name="password" autoComplete="current-password" required />
      </Label>
      {state.error && (
        <p className="text-destructive" role="alert" data-testid="sign-in-error">
          {state.error}
          {state.lockedUntil && (
            <>
              {" "}
              {t.rich("lockedUntil", { time: lockedUntilText(state.lockedUntil), when: (chunks) => <time dateTime={state.lockedUntil}>{chunks}</time> })}
            </>
          )}
        </p>
      )}
      <Button type="submit" disabled={pending}>
        {pending ? t("signingIn") : t("signIn")}
      </Button>
    </form>
  );
}
