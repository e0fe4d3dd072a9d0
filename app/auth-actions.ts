"use server";

import { isAPIError } from "better-auth/api";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { ACCOUNT_DISABLED, getAuth, SIGN_IN_LOCKED } from "@/lib/auth/auth";
import { clientIp } from "@/lib/auth/client-ip";
import { safeNextPath } from "@/lib/auth/navigation";
import { setUpFirstAdmin } from "@/lib/auth/users";
import { AppError } from "@/lib/http/errors";

// Server actions behind the sign-in, setup and sign-out forms. Next refuses cross-site action
// calls (Origin must match Host), and better-auth's hooks apply lockouts and write the audit log.

export interface FormState {
  error?: string;
  /** Set when sign-ins are locked out: until when (ISO), for the form to show in local time. */
  lockedUntil?: string;
  email?: string;
}

const field = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

/** Signs in through better-auth (which sets the session cookie); null when it worked. */
async function signIn(email: string, password: string): Promise<FormState | null> {
  try {
    await (await getAuth()).api.signInEmail({ body: { email, password }, headers: await headers() });
    return null;
  } catch (err) {
    if (!isAPIError(err)) throw err;
    const body = (err.body ?? {}) as { code?: string; message?: string; lockedUntil?: string };
    const t = await getTranslations("auth");
    if (body.code === SIGN_IN_LOCKED) return { error: t("tooMany"), lockedUntil: body.lockedUntil, email };
    if (body.code === ACCOUNT_DISABLED) return { error: t("disabled"), email };
    if (err.statusCode === 401) return { error: t("wrongPassword"), email };
    return { error: body.message ?? t("couldNotSignIn"), email };
  }
}

export async function signInAction(_state: FormState, form: FormData): Promise<FormState> {
  const email = field(form, "email");
  const failed = await signIn(email, field(form, "password"));
  if (failed) return failed;
  redirect(safeNextPath(field(form, "next")));
}

export async function setupAction(_state: FormState, form: FormData): Promise<FormState> {
  const email = field(form, "email");
  const password = field(form, "password");
  const t = await getTranslations("auth");
  if (password !== field(form, "confirm")) return { error: t("passwordsDiffer"), email };
  try {
    await setUpFirstAdmin({ email, name: field(form, "name") || undefined, password }, field(form, "code"), { ip: clientIp(await headers()) });
  } catch (err) {
    // Includes a wrong setup code (the action can be posted anywhere): nothing is created.
    if (err instanceof AppError) return { error: err.message, email };
    throw err;
  }
  const failed = await signIn(email, password);
  if (failed) return failed;
  redirect("/");
}

export async function signOutAction(): Promise<void> {
  await (await getAuth()).api.signOut({ headers: await headers() });
  redirect("/login");
}
