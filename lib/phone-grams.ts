/**
 * Phone search by one or two digits (`q=3`, `q=57`) matches most contacts, so no index narrows
 * it. Instead the phone-gram rollups (db/schema.ts) count, per bucket, the failures whose E.164
 * number or cellphone contains each of the 110 possible one- and two-digit strings ("grams"):
 * one counter column per gram. A failure counts once per distinct gram its phone contains.
 */

/** "0"…"9", then "00"…"99": the position of a gram is its counter column's position. */
export const PHONE_GRAMS: readonly string[] = [
  ...Array.from({ length: 10 }, (_, d) => String(d)),
  ...Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0")),
];

/** The counter column of a gram in every phone-gram rollup table. */
export const gramColumn = (gram: string): string => `g_${gram}`;

/** The longest search the phone-gram rollups answer. */
export const PHONE_GRAM_MAX_DIGITS = 2;

const isDigit = (code: number) => code >= 48 && code <= 57;

/**
 * Positions (in PHONE_GRAMS) of the distinct grams found in either number: exactly the one- and
 * two-digit searches whose `LIKE '%q%'` matches the failure.
 */
export function phoneGramPositions(phoneE164: string | null, cellphone: string | null): number[] {
  const seen = new Uint8Array(PHONE_GRAMS.length);
  const found: number[] = [];
  const add = (i: number) => {
    if (!seen[i]) {
      seen[i] = 1;
      found.push(i);
    }
  };
  for (const text of [phoneE164, cellphone]) {
    if (!text) continue;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!isDigit(c)) continue;
      add(c - 48);
      const next = text.charCodeAt(i + 1);
      if (isDigit(next)) add(10 + (c - 48) * 10 + (next - 48));
    }
  }
  return found;
}

/** The lists contact_lacking_quarters (db/schema.ts) keeps counts for: retry and "do not contact". */
export type LackingList = "retry" | "dnc";
export const LACKING_LISTS: readonly LackingList[] = ["retry", "dnc"];
/** contact_lacking_quarters' counter of the contacts on `list` whose own number lacks `digit`. */
export const lackingColumn = (list: LackingList, digit: string): string => `${list}_lacks_${digit}`;
/** Every contact_lacking_quarters counter, retry's ten digits and then dnc's. */
export const LACKING_COLUMNS: readonly string[] = LACKING_LISTS.flatMap((list) => PHONE_GRAMS.slice(0, 10).map((digit) => lackingColumn(list, digit)));

/** The digits (0–9) that `text` does not contain. */
export function lackedDigits(text: string): number[] {
  const has = new Uint8Array(10);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) has[c - 48] = 1;
  }
  const lacked: number[] = [];
  for (let d = 0; d < 10; d++) if (!has[d]) lacked.push(d);
  return lacked;
}
