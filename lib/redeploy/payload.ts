import { sessionKeyValues } from "@/lib/export/contacts";

/** Treble's documented limit is unpublished; we never put more than this many users in one call. */
export const MAX_USERS_PER_CALL = 500;
/** The session key that picks the sending line: `DS_<line's cellphone>`. */
export const SQUAD_KEY = "deployment_squad";

export interface SessionKey {
  key: string;
  value: string | number | null;
}

/** One entry of `users` in `POST /deployment/api/poll/{poll_id}`. */
export interface TrebleUser {
  cellphone: string;
  country_code: string;
  user_session_keys: SessionKey[];
  deployment_eta?: number;
}

const digits = (s: string) => s.replace(/\D/g, "");

/** A line as the operator typed it (`+57 300…`, `57300…`) → `+<digits>`; null when it is no phone. */
export function normalizeLine(line: string): string | null {
  const d = digits(line);
  return d.length >= 7 && d.length <= 15 && /^[+\d\s().-]+$/.test(line.trim()) ? `+${d}` : null;
}

/**
 * The session keys a contact failed with, as `[{key, value}]`, with the line pinned: moved to
 * `line` when the operator picked one, else kept on the line it failed on (`lineFailedOn`), else
 * whatever `deployment_squad` it carried. Returns the keys and the line they send from ("" unknown).
 */
export function sessionKeysFor(userSessionKeys: string | null, lineFailedOn: string, line: string | null): { keys: SessionKey[]; line: string } {
  const keys: SessionKey[] = [];
  for (const [key, value] of sessionKeyValues(userSessionKeys)) {
    if (key !== SQUAD_KEY) keys.push({ key, value: value ?? null });
  }
  const carried = sessionKeyValues(userSessionKeys).get(SQUAD_KEY);
  const target = line ?? (lineFailedOn ? lineFailedOn : null);
  if (target) {
    keys.push({ key: SQUAD_KEY, value: `DS_${digits(target)}` });
    return { keys, line: target };
  }
  if (carried !== undefined && carried !== null) {
    keys.push({ key: SQUAD_KEY, value: carried });
    const m = /^DS_(\d+)$/.exec(String(carried));
    return { keys, line: m ? `+${m[1]}` : "" };
  }
  return { keys, line: "" };
}

/** Treble expects the country code with its `+` (we store it without). */
export const trebleCountryCode = (countryCode: string) => `+${digits(countryCode)}`;
