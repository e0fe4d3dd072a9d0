import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { users } from "@/db/schema";
import { NotFoundError } from "@/lib/http/errors";
import { parseInput } from "@/lib/validate";
import { isLocale, LOCALES, type Locale } from "./locales";

const localeChangeSchema = z.object({ locale: z.enum(LOCALES).nullable() }).strict();

export interface MyPreferences {
  locale: Locale | null;
}

/** The interface language a user stored; null when they follow their browser. */
export function getUserLocale(db: Db, userId: string): Locale | null {
  const row = db.select({ locale: users.locale }).from(users).where(eq(users.id, userId)).get();
  return isLocale(row?.locale) ? row.locale : null;
}

/** Stores (or, with null, forgets) the user's interface language. */
export function setUserLocale(db: Db, userId: string, input: unknown): MyPreferences {
  const { locale } = parseInput(localeChangeSchema, input);
  const row = db.update(users).set({ locale, updatedAt: new Date() }).where(eq(users.id, userId)).returning({ locale: users.locale }).get();
  if (!row) throw new NotFoundError(`No user with id ${userId}.`);
  return { locale: isLocale(row.locale) ? row.locale : null };
}
