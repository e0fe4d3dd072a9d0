import type { Rng } from "./rng";
import type { Contact, Line, Template } from "./world";

/**
 * Turns what happened (the facts) into a JSON payload. Treble does not publish the body of its
 * webhooks, so Faultline accepts several names for each field (README alias table); the demo
 * traffic uses all of them, canonical names most of the time, so every path of the normaliser runs.
 */

export type JsonObject = Record<string, unknown>;

export interface SessionKey {
  key: string;
  value: string;
}

/** One deployment failure as it happened, before it is dressed as a payload. */
export interface FailureFacts {
  eventId: string | null;
  occurredAt: number;
  /** Reason code as sent (one of the 18, or an unrecognised one). */
  reason: string;
  line: Line | null;
  template: Template | null;
  contact: Contact | null;
  pollId: number;
  deploymentId: number;
  batchId: string;
  sessionId: string | null;
  /** Session keys the company attached (customer id, segment…), without the line's squad key. */
  sessionKeys: SessionKey[];
}

export interface StatusFacts {
  eventId: string | null;
  occurredAt: number;
  template: string;
  status: string;
}

/** Sets a dotted path ("deployment.batch_id"), creating the intermediate objects. */
function setPath(target: JsonObject, path: string, value: unknown): void {
  const keys = path.split(".");
  let cur = target;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (typeof next === "object" && next !== null && !Array.isArray(next)) cur = next as JsonObject;
    else {
      const created: JsonObject = {};
      cur[key] = created;
      cur = created;
    }
  }
  cur[keys[keys.length - 1]!] = value;
}

/** Chooses one of several alternatives by weight (weights sum to 1). */
function choose<T>(rng: Rng, options: ReadonlyArray<readonly [T, number]>): T {
  let target = rng.next();
  for (const [value, weight] of options) {
    target -= weight;
    if (target < 0) return value;
  }
  return options[options.length - 1]![0];
}

/** ISO 8601 in Bogota local time with its offset, as a Colombian system might send it. */
function bogotaIso(ms: number): string {
  // Shift to local time, print as if UTC, then swap the "Z" (and milliseconds) for the offset.
  return new Date(ms - 5 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "-05:00");
}

/** The event time in one of the accepted encodings; undefined = sent without a timestamp. */
function timestamp(rng: Rng, ms: number, mayOmit: boolean): string | number | undefined {
  const form = choose(rng, [
    ["iso", 0.55],
    ["iso-seconds", 0.1],
    ["iso-bogota", 0.08],
    ["iso-no-zone", 0.02],
    ["unix-s", 0.12],
    ["unix-s-string", 0.01],
    ["unix-ms", 0.1],
    ["absent", 0.02],
  ] as const);
  switch (form) {
    case "iso":
      return new Date(ms).toISOString();
    case "iso-seconds":
      return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    case "iso-bogota":
      return bogotaIso(ms);
    case "iso-no-zone":
      // No zone means UTC for Faultline.
      return new Date(ms).toISOString().slice(0, 19);
    case "unix-s":
      return Math.floor(ms / 1000);
    case "unix-s-string":
      return String(Math.floor(ms / 1000));
    case "unix-ms":
      return ms;
    case "absent":
      // Without both an id and a time, two identical failures would hash the same and merge.
      return mayOmit ? undefined : new Date(ms).toISOString();
  }
}

/** The envelope every event starts with. */
function envelope(rng: Rng, eventType: string, eventId: string | null, ms: number, typeOptional: boolean): JsonObject {
  const out: JsonObject = {};
  // Treble's deployment failure webhook may come without the envelope's event_type.
  if (!typeOptional || rng.chance(0.98)) out.event_type = eventType;
  if (eventId !== null) out.event_id = eventId;
  const time = timestamp(rng, ms, eventId !== null);
  if (time !== undefined) out.timestamp = time;
  return out;
}

function lineText(rng: Rng, line: Line): string {
  const form = rng.int(10);
  if (form < 5) return `+${line.digits}`;
  if (form < 8) return line.digits;
  return `+${line.country} ${line.digits.slice(line.country.length, -7)} ${line.digits.slice(-7)}`;
}

/** Adds the sending line under one of its names; returns the session keys it needs (squad). */
function addLine(rng: Rng, body: JsonObject, line: Line): SessionKey | undefined {
  const form = choose(rng, [
    ["line", 0.4],
    ["line.cellphone", 0.15],
    ["company.cellphone", 0.15],
    ["sender", 0.12],
    ["squad", 0.18],
  ] as const);
  if (form === "squad") return { key: rng.chance(0.8) ? "deployment_squad" : "tdeployment_squad", value: `DS_${line.digits}` };
  if (form === "company.cellphone") setPath(body, "company", { name: "Acme Finanzas", cellphone: lineText(rng, line) });
  else setPath(body, form, lineText(rng, line));
  return undefined;
}

function addTemplate(rng: Rng, body: JsonObject, template: Template): void {
  const alias = choose(rng, [
    ["hsm.name", 0.6],
    ["hsm_name", 0.14],
    ["template", 0.13],
    ["template_name", 0.13],
  ] as const);
  if (alias === "hsm.name") body.hsm = { name: template.name, language: template.language };
  else body[alias] = template.name;
}

function addContact(rng: Rng, body: JsonObject, contact: Contact): void {
  const countryCode = choose<string | number>(rng, [
    [contact.countryCode, 0.7],
    [`+${contact.countryCode}`, 0.2],
    [Number(contact.countryCode), 0.1],
  ] as const);
  // Some CRMs keep the full international number in `cellphone`; Faultline must not prefix it twice.
  const cellphone = choose<string>(rng, [
    [contact.national, 0.85],
    [`${contact.countryCode}${contact.national}`, 0.1],
    [`+${contact.countryCode}${contact.national}`, 0.05],
  ] as const);
  if (rng.chance(0.75)) body.user = { country_code: countryCode, cellphone };
  else Object.assign(body, { country_code: countryCode, cellphone });
}

function addCampaign(rng: Rng, body: JsonObject, facts: FailureFacts): void {
  const poll = rng.chance(0.5) ? facts.pollId : String(facts.pollId);
  setPath(body, choose(rng, [["poll_id", 0.6], ["poll.id", 0.25], ["conversation_id", 0.15]] as const), poll);
  setPath(body, rng.chance(0.65) ? "deployment_id" : "deployment.id", String(facts.deploymentId));
  setPath(body, rng.chance(0.6) ? "batch_id" : "deployment.batch_id", facts.batchId);
  if (facts.sessionId !== null) setPath(body, rng.chance(0.7) ? "session_id" : "session.external_id", facts.sessionId);
}

/** `user_session_keys` as Treble documents it (a list), or now and then as a plain object. */
function addSessionKeys(rng: Rng, body: JsonObject, keys: SessionKey[]): void {
  if (keys.length === 0) return;
  if (rng.chance(0.1)) body.user_session_keys = Object.fromEntries(keys.map((k) => [k.key, k.value]));
  else body.user_session_keys = keys;
}

function reasonAlias(rng: Rng, reason: string): [string, string] {
  const alias = choose(rng, [["failure_reason", 0.85], ["reason", 0.06], ["failure_type", 0.05], ["error_code", 0.04]] as const);
  // Reasons match case-insensitively; a few senders lower-case them.
  return [alias, rng.chance(0.01) ? reason.toLowerCase() : reason];
}

/** A deployment.failure payload for `facts`, in a randomly chosen (but valid) shape. */
export function failurePayload(rng: Rng, facts: FailureFacts): JsonObject {
  const head = envelope(rng, "deployment.failure", facts.eventId, facts.occurredAt, true);
  const body: JsonObject = {};
  const [alias, reason] = reasonAlias(rng, facts.reason);
  body[alias] = reason;
  const squad = facts.line ? addLine(rng, body, facts.line) : undefined;
  if (facts.template) addTemplate(rng, body, facts.template);
  if (facts.contact) addContact(rng, body, facts.contact);
  addCampaign(rng, body, facts);
  const keys = squad ? [squad, ...facts.sessionKeys] : rng.chance(0.5) ? facts.sessionKeys : [];
  addSessionKeys(rng, body, keys);
  // Some integrations wrap the fields in `data`, keeping only the envelope at the top.
  return rng.chance(0.08) ? { ...head, data: body } : { ...head, ...body };
}

/** An hsm.status payload (template status change) in one of its accepted shapes. */
export function statusPayload(rng: Rng, facts: StatusFacts): JsonObject {
  const head = envelope(rng, "hsm.status", facts.eventId, facts.occurredAt, false);
  const form = rng.int(20);
  // Treble's published shape: the template as `name`, with the conversations it affects.
  if (form < 10) return { ...head, status: facts.status, name: facts.template, affected_conversation_ids: [rng.int(900_000) + 100_000, rng.int(900_000) + 100_000] };
  if (form < 15) return { ...head, hsm: { name: facts.template }, status: facts.status };
  if (form < 18) return { ...head, template_name: facts.template, new_status: facts.status };
  return { ...head, hsm: { name: facts.template, status: facts.status } };
}
