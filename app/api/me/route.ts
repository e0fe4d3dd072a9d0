import { getUserLocale, setUserLocale } from "@/lib/i18n/user-locale";
import { LOCALE_COOKIE } from "@/lib/i18n/locales";
import { readJsonObject } from "@/lib/http/read-json";
import { json } from "@/lib/http/respond";
import { jsonRoute, responseRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

const YEAR_SECONDS = 365 * 86_400;

/** Who is signed in, with their stored preferences. */
export const GET = jsonRoute({ role: "viewer" }, async (_request, user) => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: user.role,
  locale: await getUserLocale(user.id),
}));

/**
 * Body: {"locale": "en"|"es"|"pt-BR"|null}. Stored on the user; the browser's language cookie is
 * set alongside (cleared with null) so the sign-in page speaks the same language.
 */
export const PATCH = responseRoute({ role: "viewer" }, async (request, user) => {
  const result = await setUserLocale(user.id, await readJsonObject(request));
  const cookie = result.locale
    ? `${LOCALE_COOKIE}=${result.locale}; Path=/; Max-Age=${YEAR_SECONDS}; SameSite=Lax`
    : `${LOCALE_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
  return json(result, 200, { "Set-Cookie": cookie });
});
