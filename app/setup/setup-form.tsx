"use client";

import { useTranslations } from "next-intl";
import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/input";
import { setupAction, type FormState } from "../auth-actions";

export function SetupForm({ minPasswordLength, code }: { minPasswordLength: number; code: string }) {
  const t = useTranslations("auth");
  const [state, action, pending] = useActionState<FormState, FormData>(setupAction, {});
  return (
    <form action={action} className="flex flex-col gap-3">
      <input type="hidden" name="code" value={code} />
      <Label>
        {t("name")}
        <Input type="text" name="name" autoComplete="name" />
      </Label>
      <Label>
        {t("email")}
        <Input type="email" name="email" autoComplete="username" required defaultValue={state.email} />
      </Label>
      <Label>
        <span>
          {t("password")} <span className="text-xs font-normal text-muted-foreground">{t("atLeast", { count: minPasswordLength })}</span>
        </span>
        <Input type="password" name="password" autoComplete="new-password" required minLength={minPasswordLength} />
      </Label>
      <Label>
        {t("repeatPassword")}
        <Input type="password" name="confirm" autoComplete="new-password" required minLength={minPasswordLength} />
      </Label>
      {state.error && (
        <p className="text-destructive" role="alert">
          {state.error}
        </p>
      )}
      <Button type="submit" disabled={pending}>
        {pending ? t("creating") : t("createAdmin")}
      </Button>
    </form>
  );
}
