import { describe, expect, it } from "vitest";
import { localeFromAcceptLanguage, resolveLocale } from "./locales";

describe("resolveLocale", () => {
  it("prefers the user's choice, then the cookie, then Accept-Language, then English", () => {
    expect(resolveLocale({ user: "pt-BR", cookie: "es", acceptLanguage: "en" })).toBe("pt-BR");
    expect(resolveLocale({ user: null, cookie: "es", acceptLanguage: "pt-BR" })).toBe("es");
    expect(resolveLocale({ user: null, cookie: "fr", acceptLanguage: "es-CO,es;q=0.9,en;q=0.8" })).toBe("es");
    expect(resolveLocale({ acceptLanguage: "fr-FR,de;q=0.5" })).toBe("en");
    expect(resolveLocale({})).toBe("en");
  });

  it("maps regional and Portuguese tags and respects q-values", () => {
    expect(localeFromAcceptLanguage("pt-PT")).toBe("pt-BR");
    expect(localeFromAcceptLanguage("pt")).toBe("pt-BR");
    expect(localeFromAcceptLanguage("es-MX")).toBe("es");
    expect(localeFromAcceptLanguage("en;q=0.4, es;q=0.8")).toBe("es");
    expect(localeFromAcceptLanguage("es;q=0, en")).toBe("en");
    expect(localeFromAcceptLanguage("")).toBeNull();
  });
});
