import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Queryable } from "@/db/engine";
import { NotFoundError } from "@/lib/http/errors";
import { parseInput } from "@/lib/validate";
import { isLocale, LOCALES, type Locale } from "./locales";

const localeChangeSchema = z.object({ locale: z.enum(LOCALES).nullable() }).strict();

export interface MyPreferences {
  locale: Locale | null;
}

/**
 * The interface language a user stored; null when they follow their browser (or are unknown).
 * Pass `q` to read it inside a transaction.
 */
export async function getUserLocale(userId: string, q: Queryable = getEngine()): Promise<Locale | null> {
  const row = await q.one<{ locale: string | null }>("SELECT locale FROM users WHERE id = ?", [userId]);
  return isLocale(row?.locale) ? row.locale : null;
}

/** Stores (or, with null, forgets) the user's interface language. */
export async function setUserLocale(userId: string, input: unknown, now = Date.now()): Promise<MyPreferences> {
  const { locale } = parseInput(localeChangeSchema, input);
  const row = await getEngine().one<{ locale: string | null }>("UPDATE users SET locale = ?, updated_at = ? WHERE id = ? RETURNING locale", [locale, now, userId]);
  if (!row) throw new NotFoundError(`No user with id ${userId}.`);
  return { locale: isLocale(row.locale) ? row.locale : null };
}
