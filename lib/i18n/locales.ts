/** The interface languages, in the order the language menu lists them. */
export const LOCALES = ["en", "es", "pt-BR"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en";
/** Each language named in itself, so a user who cannot read the current one still finds theirs. */
export const LANGUAGE_NAMES: Record<Locale, string> = { en: "English", es: "Español", "pt-BR": "Português (Brasil)" };
/** Remembers the language of a browser (signed in or not) when the user has not stored one. */
export const LOCALE_COOKIE = "faultline-locale";

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** A language tag from a browser ("pt", "es-MX", "pt-PT") mapped onto one of ours, if any. */
function matchTag(tag: string): Locale | null {
  const lower = tag.trim().toLowerCase();
  if (!lower) return null;
  const exact = LOCALES.find((l) => l.toLowerCase() === lower);
  if (exact) return exact;
  const language = lower.split("-")[0];
  if (language === "pt") return "pt-BR";
  return LOCALES.find((l) => l === language) ?? null;
}

/** The best of our languages for an Accept-Language header, by its q-values; null if none fits. */
export function localeFromAcceptLanguage(header: string | null | undefined): Locale | null {
  if (!header) return null;
  const ranked = header
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      const weight = q ? Number(q.slice(2)) : 1;
      return { tag, weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((entry) => entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const entry of ranked) {
    const match = matchTag(entry.tag);
    if (match) return match;
  }
  return null;
}

/** The user's own choice, else the cookie, else the browser's languages, else English. */
export function resolveLocale(sources: { user?: string | null; cookie?: string | null; acceptLanguage?: string | null }): Locale {
  if (isLocale(sources.user)) return sources.user;
  if (isLocale(sources.cookie)) return sources.cookie;
  return localeFromAcceptLanguage(sources.acceptLanguage) ?? DEFAULT_LOCALE;
}
