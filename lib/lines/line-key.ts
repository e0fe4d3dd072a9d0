/**
 * The key a line is stored under. Pure (no server imports): ingest, line labels, alert rules and
 * the Settings page in the browser all normalise lines with it, so "+57 310 456 7890",
 * "573104567890" and "+573104567890" are one line everywhere.
 */

export const digitsOf = (s: string) => s.replace(/\D/g, "");
/** Digits with the separators people type: a phone number, as opposed to a line named by text. */
export const PHONE_LIKE = /^\+?[\d\s\-().]+$/;

/** `+<digits>` for a phone-like value of 6–15 digits; the text as given otherwise. */
export function normalizeLine(text: string): string {
  if (!PHONE_LIKE.test(text)) return text;
  const digits = digitsOf(text);
  return digits.length >= 6 && digits.length <= 15 ? `+${digits}` : text;
}
