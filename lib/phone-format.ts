import { parsePhoneNumberFromString } from "libphonenumber-js";

/** National digit groups longer than this are split before their last four digits. */
const LONGEST_GROUP = 5;

/** "4567890" → "456 7890"; "15512345678" → "155 1234 5678". */
function splitLongGroup(group: string): string {
  if (group.length <= LONGEST_GROUP) return group;
  return `${splitLongGroup(group.slice(0, -4))} ${group.slice(-4)}`;
}

/**
 * A phone number as people read it: international format from libphonenumber-js
 * ("+55 11 98765 4321"), with any run of more than five digits split before its last four, so a
 * Colombian mobile reads "+57 310 456 7890" as it is written locally rather than "+57 310 4567890".
 * Anything that is not a possible phone number (a line named by text, a short code) comes back
 * unchanged. For display only: URLs, filters, the API and exports keep the stored E.164 value.
 */
export function formatPhone(value: string): string {
  const text = value.trim();
  if (!/^\+?[\d\s\-().]+$/.test(text)) return value;
  const digits = text.replace(/\D/g, "");
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  if (!parsed || !parsed.isPossible()) return value;
  return parsed
    .formatInternational()
    .split(" ")
    .map((group, i) => (i === 0 ? group : splitLongGroup(group)))
    .join(" ");
}

/** A line as plain text: "Ventas CO (+57 310 456 7890)", the formatted number alone when unlabelled, or "unknown". */
export function lineText(line: string | null, label: string | null | undefined): string {
  if (!line) return "unknown";
  const number = formatPhone(line);
  return label ? `${label} (${number})` : number;
}
