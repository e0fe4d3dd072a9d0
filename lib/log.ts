import pino, { type Logger } from "pino";
import { getSettings } from "@/lib/config";

let instance: Logger | undefined;

/**
 * The process's JSON-lines logger (stdout). Created on first use, so the level comes from the
 * validated settings; an invalid configuration still gets its error logged, at "info".
 */
export function logger(): Logger {
  if (!instance) {
    let level = "info";
    try {
      level = getSettings().LOG_LEVEL;
    } catch {
      // The caller is about to report the configuration error itself.
    }
    instance = pino({ level, base: { service: "faultline" } });
  }
  return instance;
}

/** Query parameters whose values are credentials. */
const SECRET_PARAMS = /([?&](?:token|secret|key|password|signature|api_key|access_token)=)[^&#]*/gi;

/** A request URL safe to log: credential values in the query are replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, "$1[redacted]");
}

/** Seven or more digits, possibly with a leading + and spaces or dashes: a phone number. */
const PHONE_LIKE = /\+?\d(?:[\s-]?\d){6,}/g;

/**
 * Text safe to log: anything that looks like a phone number keeps only its last two digits
 * (error messages can quote the body, e.g. JSON.parse's excerpt of malformed input).
 */
export function maskPhones(text: string): string {
  return text.replace(PHONE_LIKE, (match) => {
    const digits = match.replace(/\D/g, "");
    return `${"*".repeat(digits.length - 2)}${digits.slice(-2)}`;
  });
}
