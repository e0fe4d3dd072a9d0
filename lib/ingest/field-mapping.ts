import { z } from "zod";
import type { DbHandle } from "@/db/client";
import { recordAudit, type Actor } from "@/lib/auth/audit";
import { InvalidInputError } from "@/lib/http/errors";
import { parseInput } from "@/lib/validate";
import { FIELD_MAPPING_KEYS, MAX_PATHS_PER_FIELD, MAX_PATH_LENGTH, type FieldMapping, type FieldMappingKey } from "./field-mapping-keys";

/**
 * Field mapping: where in Treble's (unpublished) payload each field sits, as dotted JSON paths
 * (`status`, `data.error.code`, `errors.0.code`) tried before the built-in aliases. Admins set it
 * under Settings; it is kept in the `settings` table and cached in memory, so the webhook never
 * queries it per request.
 */
export { FIELD_MAPPING_KEYS, MAX_PATHS_PER_FIELD, MAX_PATH_LENGTH, type FieldMapping, type FieldMappingKey } from "./field-mapping-keys";
const SETTINGS_KEY = "field_mapping";

export const EMPTY_FIELD_MAPPING: FieldMapping = Object.freeze(
  Object.fromEntries(FIELD_MAPPING_KEYS.map((k) => [k, Object.freeze([]) as unknown as string[]])),
) as FieldMapping;

const pathSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(MAX_PATH_LENGTH, `must be at most ${MAX_PATH_LENGTH} characters`)
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, "must be a dotted JSON path such as data.error.code (no spaces, no empty segments)");

const pathsSchema = z
  .array(pathSchema, { message: "must be an array of dotted JSON paths" })
  .max(MAX_PATHS_PER_FIELD, `at most ${MAX_PATHS_PER_FIELD} paths`)
  .optional();

const mappingSchema = z
  .object(Object.fromEntries(FIELD_MAPPING_KEYS.map((k) => [k, pathsSchema])) as Record<FieldMappingKey, typeof pathsSchema>)
  .strict();

/** Every key present (empty when unset), each path once. */
function complete(input: Partial<Record<FieldMappingKey, string[] | undefined>>): FieldMapping {
  return Object.fromEntries(FIELD_MAPPING_KEYS.map((k) => [k, [...new Set(input[k] ?? [])]])) as FieldMapping;
}

/** Validates a mapping; InvalidInputError (400) naming the offending key, e.g. `reason.2`. */
export function parseFieldMapping(input: unknown): FieldMapping {
  // zod reports unknown keys without a path; name each one instead.
  const unknown = typeof input === "object" && input !== null ? Object.keys(input).filter((k) => !(FIELD_MAPPING_KEYS as readonly string[]).includes(k)) : [];
  if (unknown.length) {
    const message = `is not a mapped field (use ${FIELD_MAPPING_KEYS.join(", ")})`;
    throw new InvalidInputError(`${unknown[0]} ${message}`, unknown.map((path) => ({ path, message })), "invalid_input");
  }
  return complete(parseInput(mappingSchema, input));
}

// Shared through globalThis: the webhook listener (dist/server.mjs) and Next's route handlers are
// separate bundles in one process, and a change saved through either must reach the webhook.
const CACHE = Symbol.for("faultline.fieldMapping");
type Cache = { mapping: FieldMapping } | undefined;
const globalCache = globalThis as unknown as Record<typeof CACHE, Cache>;

/** The mapping as stored (a stored value that no longer validates counts as empty). */
export function readFieldMapping(handle: DbHandle): FieldMapping {
  const row = handle.sqlite.prepare("SELECT value FROM settings WHERE key = ?").get(SETTINGS_KEY) as { value: string } | undefined;
  if (!row) return EMPTY_FIELD_MAPPING;
  const parsed = mappingSchema.safeParse(JSON.parse(row.value));
  return parsed.success ? complete(parsed.data) : EMPTY_FIELD_MAPPING;
}

/** The current mapping for the hot path: read once, then from memory until it is replaced. */
export function fieldMapping(handle: DbHandle): FieldMapping {
  let cached = globalCache[CACHE];
  if (!cached) {
    cached = { mapping: readFieldMapping(handle) };
    globalCache[CACHE] = cached;
  }
  return cached.mapping;
}

/** Forget the cached mapping (tests that write the settings table directly). */
export function clearFieldMappingCache(): void {
  globalCache[CACHE] = undefined;
}

/** Replaces the whole mapping (PUT semantics), records who did it, and refreshes the cache. */
export function replaceFieldMapping(handle: DbHandle, input: unknown, by: { actor: Actor; ip: string | null; now?: number }): FieldMapping {
  const mapping = parseFieldMapping(input);
  const now = by.now ?? Date.now();
  const set = FIELD_MAPPING_KEYS.filter((k) => mapping[k].length).map((k) => `${k}: ${mapping[k].join(", ")}`);
  handle.db.transaction(
    (tx) => {
      handle.sqlite
        .prepare("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
        .run(SETTINGS_KEY, JSON.stringify(mapping), now);
      recordAudit(tx, { actor: by.actor, action: "field_mapping_changed", detail: set.length ? set.join("; ") : "cleared", ip: by.ip, at: now });
    },
    { behavior: "immediate" },
  );
  globalCache[CACHE] = { mapping };
  return mapping;
}
