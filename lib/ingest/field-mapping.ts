import { z } from "zod";
import { getEngine } from "@/db/client";
import { appendAudit } from "@/lib/auth/audit";
import type { ActingUser } from "@/lib/incidents/apply";
import { InvalidInputError } from "@/lib/http/errors";
import { readSetting, readSettingIn, writeSetting } from "@/lib/settings-store";
import { SharedCache } from "@/lib/shared-cache";
import { parseInput } from "@/lib/validate";
import { FIELD_MAPPING_KEYS, MAX_PATHS_PER_FIELD, MAX_PATH_LENGTH, type FieldMapping, type FieldMappingKey } from "./field-mapping-keys";

/**
 * Field mapping: where in Treble's (unpublished) payload each field sits, as dotted JSON paths
 * (`status`, `data.error.code`, `errors.0.code`) tried before the built-in aliases. Admins set it
 * under Settings; it is kept in the `settings` table (through the engine) and cached in memory, so
 * the webhook never queries it per request.
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

// Shared by the webhook listener's bundle and Next's; a change saved on another instance reaches
// this one's webhook within about a second.
const mappingCache = new SharedCache<FieldMapping>("fieldMapping", async (engine) => fromStored(await readSetting(engine, SETTINGS_KEY)));

/** A stored value that no longer validates counts as empty. */
function fromStored(value: string | undefined): FieldMapping {
  if (value === undefined) return EMPTY_FIELD_MAPPING;
  const parsed = mappingSchema.safeParse(JSON.parse(value));
  return parsed.success ? complete(parsed.data) : EMPTY_FIELD_MAPPING;
}

/**
 * The mapping as stored, read through the engine; it also refreshes the webhook's cache (the
 * server calls it at start, before the port opens).
 */
export function readFieldMapping(): Promise<FieldMapping> {
  return mappingCache.read();
}

/**
 * The current mapping for the webhook's hot path, from memory: loaded at start (readFieldMapping),
 * replaced on every write here and re-read in the background when stale. Not loaded yet (route
 * handlers called without a server start), it is read synchronously from SQLite; on PostgreSQL the
 * server loads it at start.
 */
export function fieldMapping(now = Date.now()): FieldMapping {
  return mappingCache.heldOrRead(now, (sqlite) => fromStored(readSettingIn(sqlite, SETTINGS_KEY)), "The field mapping is not loaded: await readFieldMapping() at start.");
}

/** Forget the cached mapping (tests that write the settings table directly). */
export function clearFieldMappingCache(): void {
  mappingCache.clear();
}

/** Replaces the whole mapping (PUT semantics), records who did it, and refreshes the cache. */
export async function replaceFieldMapping(input: unknown, by: ActingUser, now = Date.now()): Promise<FieldMapping> {
  const mapping = parseFieldMapping(input);
  const set = FIELD_MAPPING_KEYS.filter((k) => mapping[k].length).map((k) => `${k}: ${mapping[k].join(", ")}`);
  const engine = getEngine();
  await engine.transaction(async (tx) => {
    await writeSetting(tx, SETTINGS_KEY, JSON.stringify(mapping), now);
    await appendAudit(tx, { actor: by.actor, action: "field_mapping_changed", detail: set.length ? set.join("; ") : "cleared", ip: by.ip, at: now });
  });
  mappingCache.changed();
  return mappingCache.hold(mapping, now);
}
