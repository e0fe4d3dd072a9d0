import { createTranslator } from "next-intl";
import en from "@/messages/en.json";
import es from "@/messages/es.json";
import ptBR from "@/messages/pt-BR.json";
import type { Locale } from "./locales";

type Catalogue = Record<string, unknown>;
const CATALOGUES: Record<Locale, Catalogue> = { en, es, "pt-BR": ptBR };

export type PlainTranslator = (key: string, values?: Record<string, string | number | Date>) => string;

/**
 * A translator for one namespace of a catalogue, outside React (alert messages and e-mails are
 * written in their channel's language, not the reader's browser's).
 */
export function translatorFor(namespace: string, locale: Locale, timeZone = "UTC"): PlainTranslator {
  const t = createTranslator({ locale, timeZone, messages: CATALOGUES[locale], namespace: namespace as never });
  // Keys are checked against the catalogues by lib/i18n/catalogues.test.ts, not by the compiler.
  return (key, values) => t(key as never, values as never);
}
