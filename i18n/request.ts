import { cookies, headers } from "next/headers";
import { getRequestConfig } from "next-intl/server";
import { currentUser } from "@/lib/auth/page";
import { TZ_COOKIE } from "@/lib/filters";
import { LOCALE_COOKIE, resolveLocale } from "@/lib/i18n/locales";
import { getUserLocale } from "@/lib/i18n/user-locale";
import { isValidTimeZone } from "@/lib/time/zoned";

/**
 * The language of each request, without a locale in the URL (shared links work across languages):
 * the signed-in user's choice, else the cookie, else Accept-Language, else English.
 */
export default getRequestConfig(async () => {
  const user = await currentUser();
  const jar = await cookies();
  const locale = resolveLocale({
    user: user ? await getUserLocale(user.id) : null,
    cookie: jar.get(LOCALE_COOKIE)?.value,
    acceptLanguage: (await headers()).get("accept-language"),
  });
  // Dates are shown in the time zone chosen in the filter bar (UTC until one is chosen).
  const tz = jar.get(TZ_COOKIE)?.value;
  return { locale, timeZone: tz && isValidTimeZone(tz) ? tz : "UTC", messages: (await import(`../messages/${locale}.json`)).default };
});
