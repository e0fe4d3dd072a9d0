import { InvalidInputError, type ErrorDetail } from "@/lib/http/errors";
import { digitsOf, normalizeLine, PHONE_LIKE } from "@/lib/lines/line-key";
import { canonicalReason } from "@/lib/reasons";
import { EMPTY_FIELD_MAPPING, type FieldMapping } from "./field-mapping";
import { FIELD_MAX_LENGTH, MAX_CLOCK_SKEW_MS } from "./limits";
import { parseEventTime } from "./timestamp";

/**
 * Turns one received event into the rows we store. Treble does not publish the body of its
 * `deployment.failure` webhook, so each field is looked up under several names (the admin's field
 * mapping first, then canonical names); see the README's alias table. Fields may sit at the top
 * level or inside a `data` object.
 */

export const DEPLOYMENT_FAILURE = "deployment.failure";
export const HSM_STATUS = "hsm.status";
export const SESSION_CLOSE = "session.close";

export interface FailureFields {
  reason: string;
  reasonKnown: boolean;
  line: string | null;
  template: string | null;
  countryCode: string | null;
  cellphone: string | null;
  phoneE164: string | null;
  pollId: string | null;
  deploymentId: string | null;
  batchId: string | null;
  sessionId: string | null;
  userSessionKeys: string | null;
}

export interface TemplateStatusFields {
  template: string;
  status: string;
  /** JSON text of `affected_conversation_ids` as sent; null when absent. */
  affectedConversationIds: string | null;
}

export interface SessionCloseFields {
  externalId: string | null;
  closedAt: number;
  line: string | null;
  template: string | null;
  countryCode: string | null;
  cellphone: string | null;
  phoneE164: string | null;
  messageCount: number | null;
}

export interface NormalizedEvent {
  eventId: string | null;
  eventType: string;
  occurredAt: number;
  occurredAtFromReceipt: boolean;
  /** The sender's event time when it lay over 10 minutes after receipt (then `occurredAt` is the receipt time). */
  sentOccurredAt: number | null;
  failure?: FailureFields;
  templateStatus?: TemplateStatusFields;
  sessionClose?: SessionCloseFields;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Own-property read, so keys like `constructor` or `__proto__` never reach the prototype. */
function own(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Reads a dotted path ("hsm.name", "errors.0.code") through own properties and array indexes only. */
function at(obj: Json, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (Array.isArray(cur) && /^\d+$/.test(key)) cur = cur[Number(key)];
    else if (isObject(cur)) cur = own(cur, key);
    else return undefined;
  }
  return cur;
}

const isAbsent = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

/** Collects every problem of one event, so a 400 lists them all at once. */
class Problems {
  readonly list: ErrorDetail[] = [];
  add(path: string, message: string) {
    this.list.push({ path, message });
  }
}

class EventReader {
  private readonly sources: Array<{ obj: Json; prefix: string }>;
  constructor(
    private readonly event: Json,
    readonly problems: Problems,
    readonly mapping: FieldMapping,
  ) {
    this.sources = [{ obj: event, prefix: "" }];
    const data = own(event, "data");
    if (isObject(data)) this.sources.push({ obj: data, prefix: "data." });
  }

  /**
   * First present value: the mapped paths (from the event's root, as written) first, then each
   * built-in alias at the top level or under `data`. Its value and where it was found.
   */
  first(aliases: readonly string[], mapped: readonly string[] = []): { value: unknown; path: string } | undefined {
    for (const path of mapped) {
      const value = at(this.event, path);
      if (!isAbsent(value)) return { value, path };
    }
    for (const alias of aliases) {
      for (const { obj, prefix } of this.sources) {
        const value = at(obj, alias);
        if (!isAbsent(value)) return { value, path: prefix + alias };
      }
    }
    return undefined;
  }

  /** A bounded string (numbers are accepted and written in decimal); null when absent. */
  text(aliases: readonly string[], max: number, mapped: readonly string[] = []): string | null {
    const found = this.first(aliases, mapped);
    return found ? this.boundedText(found.value, found.path, max) : null;
  }

  boundedText(value: unknown, path: string, max: number): string | null {
    let text: string;
    if (typeof value === "string") text = value.trim();
    else if (typeof value === "number" && Number.isFinite(value)) text = String(value);
    else {
      this.problems.add(path, "must be a string");
      return null;
    }
    if (text.length > max) this.problems.add(path, `is longer than ${max} characters`);
    else if (text.includes("\u0000")) this.problems.add(path, "must not contain NUL characters");
    else return text;
    return null;
  }
}

/** E.164 from a country code and a national number; null unless it is 7–15 digits. */
function toE164(countryCode: string | null, cellphone: string | null): string | null {
  if (!cellphone || !PHONE_LIKE.test(cellphone)) return null;
  let digits: string;
  if (cellphone.startsWith("+")) digits = digitsOf(cellphone);
  else if (countryCode && /^\+?\d{1,4}$/.test(countryCode)) {
    const cc = digitsOf(countryCode);
    const national = digitsOf(cellphone);
    // Some senders put the full international number in `cellphone`; do not prefix it twice.
    digits = national.startsWith(cc) && national.length >= 11 ? national : cc + national;
  } else return null;
  return digits.length >= 7 && digits.length <= 15 ? `+${digits}` : null;
}

const REASON_ALIASES = ["failure_reason", "reason", "failure_type", "error_code"] as const;
const SQUAD_KEYS = new Set(["deployment_squad", "tdeployment_squad"]);

/** The line named by a `deployment_squad` session key (`DS_<cellphone>`), if any. */
function lineFromSessionKeys(keys: unknown): string | null {
  const fromValue = (v: unknown) =>
    typeof v === "string" && /^DS_/i.test(v.trim()) ? v.trim().slice(3) : typeof v === "number" ? String(v) : null;
  if (Array.isArray(keys)) {
    for (const entry of keys) {
      if (!isObject(entry)) continue;
      const key = own(entry, "key");
      if (typeof key !== "string" || !SQUAD_KEYS.has(key)) continue;
      // Like the object form: a squad key whose value is not DS_<cellphone> does not end the search.
      const line = fromValue(own(entry, "value"));
      if (line) return line;
    }
  } else if (isObject(keys)) {
    for (const key of SQUAD_KEYS) {
      const line = fromValue(own(keys, key));
      if (line) return line;
    }
  }
  return null;
}

function readLine(reader: EventReader, sessionKeys: unknown): string | null {
  const lineValue = reader.first(["line"], reader.mapping.line);
  if (lineValue && isObject(lineValue.value)) {
    const cellphone = own(lineValue.value, "cellphone");
    if (!isAbsent(cellphone)) {
      const text = reader.boundedText(cellphone, `${lineValue.path}.cellphone`, FIELD_MAX_LENGTH.line);
      return text === null ? null : normalizeLine(text);
    }
  } else if (lineValue) {
    const text = reader.boundedText(lineValue.value, lineValue.path, FIELD_MAX_LENGTH.line);
    return text === null ? null : normalizeLine(text);
  }
  const text = reader.text(["company.cellphone", "sender"], FIELD_MAX_LENGTH.line);
  if (text !== null) return normalizeLine(text);
  const squad = lineFromSessionKeys(sessionKeys);
  if (squad === null) return null;
  const bounded = reader.boundedText(squad, "user_session_keys.deployment_squad", FIELD_MAX_LENGTH.line);
  return bounded === null ? null : normalizeLine(bounded);
}

const TEMPLATE_ALIASES = ["hsm.name", "hsm_name", "template", "template_name"] as const;

function readTemplate(reader: EventReader, aliases: readonly string[] = TEMPLATE_ALIASES): string | null {
  const found = reader.first(aliases, reader.mapping.template);
  if (!found) return null;
  if (isObject(found.value)) {
    const name = own(found.value, "name");
    return isAbsent(name) ? null : reader.boundedText(name, `${found.path}.name`, FIELD_MAX_LENGTH.template);
  }
  return reader.boundedText(found.value, found.path, FIELD_MAX_LENGTH.template);
}

const SESSION_ID_ALIASES = ["session_id", "session.external_id"];

function readFailure(reader: EventReader): FailureFields {
  const reasonFound = reader.first(REASON_ALIASES, reader.mapping.reason);
  if (!reasonFound) {
    reader.problems.add("failure_reason", "is required (also accepted as reason, failure_type or error_code, or a path set in the field mapping)");
  }
  const reasonText = reasonFound ? reader.boundedText(reasonFound.value, reasonFound.path, FIELD_MAX_LENGTH.reason) : null;
  const { code, known } = canonicalReason(reasonText ?? "");

  const sessionKeysFound = reader.first(["user_session_keys"]);
  let userSessionKeys: string | null = null;
  if (sessionKeysFound) {
    if (typeof sessionKeysFound.value !== "object") {
      reader.problems.add(sessionKeysFound.path, "must be an object or an array");
    } else {
      userSessionKeys = JSON.stringify(sessionKeysFound.value);
      if (userSessionKeys.length > FIELD_MAX_LENGTH.user_session_keys) {
        reader.problems.add(sessionKeysFound.path, `is larger than ${FIELD_MAX_LENGTH.user_session_keys} characters`);
        userSessionKeys = null;
      }
    }
  }

  const { countryCode, cellphone } = readContact(reader);

  const campaignId = (aliases: string[]) => reader.text(aliases, FIELD_MAX_LENGTH.campaign_id);
  return {
    reason: code,
    reasonKnown: known,
    line: readLine(reader, sessionKeysFound?.value),
    template: readTemplate(reader),
    countryCode,
    cellphone,
    phoneE164: toE164(countryCode, cellphone),
    pollId: campaignId(["poll_id", "conversation_id", "poll.id"]),
    deploymentId: campaignId(["deployment_id", "deployment.id"]),
    batchId: campaignId(["batch_id", "deployment.batch_id"]),
    sessionId: campaignId(SESSION_ID_ALIASES),
    userSessionKeys,
  };
}

/**
 * A failure's session id, read from its stored payload as ingest read it: it is not kept apart
 * (only the failure's detail shows it), and ingest already refused one too long to show.
 */
export function readSessionId(event: unknown): string | null {
  if (!isObject(event)) return null;
  return new EventReader(event, new Problems(), EMPTY_FIELD_MAPPING).text(SESSION_ID_ALIASES, FIELD_MAX_LENGTH.campaign_id);
}

/** The contact: mapped paths first, then `user.country_code` + `user.cellphone`, else the top-level pair. */
function readContact(reader: EventReader): { countryCode: string | null; cellphone: string | null } {
  const userCellphone = reader.first(["user.cellphone"]);
  const contactPrefix = userCellphone ? "user." : "";
  const countryCode = reader.text([`${contactPrefix}country_code`], FIELD_MAX_LENGTH.country_code, reader.mapping.countryCode);
  const cellphone = reader.text([`${contactPrefix}cellphone`], FIELD_MAX_LENGTH.cellphone, reader.mapping.contact);
  return { countryCode: countryCode === null ? null : countryCode.replace(/^\+/, ""), cellphone };
}

/** Treble's `affected_conversation_ids`: an array of conversation ids (integers, or id strings). */
function readConversationIds(reader: EventReader): string | null {
  const found = reader.first(["affected_conversation_ids"]);
  if (!found) return null;
  const ids = found.value;
  if (!Array.isArray(ids)) {
    reader.problems.add(found.path, "must be an array of conversation ids");
    return null;
  }
  const bad = ids.findIndex(
    (id) => !(typeof id === "number" && Number.isSafeInteger(id)) && !(typeof id === "string" && id.length > 0 && id.length <= FIELD_MAX_LENGTH.campaign_id),
  );
  if (bad !== -1) {
    reader.problems.add(`${found.path}.${bad}`, "must be an integer conversation id");
    return null;
  }
  return JSON.stringify(ids);
}

function readTemplateStatus(reader: EventReader): TemplateStatusFields | undefined {
  // Treble's published hsm.status names the template `name`; the other names are kept for older senders.
  const template = readTemplate(reader, ["name", ...TEMPLATE_ALIASES]);
  const status = reader.text(["status", "hsm.status", "new_status"], FIELD_MAX_LENGTH.status);
  const affectedConversationIds = readConversationIds(reader);
  if (template === null) reader.problems.add("name", "is required for hsm.status (also hsm.name, hsm_name, template, template_name)");
  if (status === null) reader.problems.add("status", "is required for hsm.status (also hsm.status, new_status)");
  return template !== null && status !== null ? { template, status: status.toUpperCase(), affectedConversationIds } : undefined;
}

/** An event time; one over 10 minutes after receipt is replaced by the receipt time (sender clock skew). */
function readTime(reader: EventReader, value: unknown, path: string, fallback: number, receivedAt: number): { ms: number; fromReceipt: boolean; sent: number | null } {
  try {
    const parsed = parseEventTime(value, fallback, path);
    if (parsed.ms > receivedAt + MAX_CLOCK_SKEW_MS) return { ms: receivedAt, fromReceipt: false, sent: parsed.ms };
    return { ms: parsed.ms, fromReceipt: parsed.fromReceipt, sent: null };
  } catch (err) {
    reader.problems.list.push(...((err as InvalidInputError).details ?? []));
    return { ms: fallback, fromReceipt: true, sent: null };
  }
}

/** Treble's `session.close` (conversation closed): session, contact, line (company) and template. */
function readSessionClose(reader: EventReader, occurredAt: number, receivedAt: number): SessionCloseFields {
  const externalId = reader.text(["session.external_id", "session_id"], FIELD_MAX_LENGTH.campaign_id);
  const closed = reader.first(["session.closed_at", "closed_at"]);
  const closedAt = closed ? readTime(reader, closed.value, closed.path, occurredAt, receivedAt).ms : occurredAt;
  const sessionKeys = reader.first(["user_session_keys"]);
  const { countryCode, cellphone } = readContact(reader);
  const messages = reader.first(["messages"]);
  let messageCount: number | null = null;
  if (messages) {
    if (Array.isArray(messages.value)) messageCount = messages.value.length;
    else reader.problems.add(messages.path, "must be an array");
  }
  return {
    externalId,
    closedAt,
    line: readLine(reader, sessionKeys?.value),
    template: readTemplate(reader),
    countryCode,
    cellphone,
    phoneE164: toE164(countryCode, cellphone),
    messageCount,
  };
}

export interface EventInspection {
  /** Everything that could be read; complete only when `problems` is empty. */
  normalized: NormalizedEvent;
  problems: ErrorDetail[];
}

/**
 * Reads one event with the field mapping, collecting every problem instead of stopping at the
 * first: an event with problems is quarantined (stored, not counted), not refused.
 */
export function inspectEvent(event: unknown, receivedAt: number, mapping: FieldMapping = EMPTY_FIELD_MAPPING): EventInspection {
  const problems = new Problems();
  if (!isObject(event)) {
    const normalized = { eventId: null, eventType: "", occurredAt: receivedAt, occurredAtFromReceipt: true, sentOccurredAt: null };
    return { normalized, problems: [{ path: "", message: "must be an object" }] };
  }
  const reader = new EventReader(event, problems, mapping);
  const eventId = reader.text(["event_id"], FIELD_MAX_LENGTH.event_id, mapping.eventId);
  const typeFound = reader.first(["event_type"]);
  let eventType = typeFound ? reader.boundedText(typeFound.value, typeFound.path, FIELD_MAX_LENGTH.event_type) : null;
  if (!typeFound) {
    // Treble's deployment-failure webhook may omit the envelope: a reason identifies the event.
    if (reader.first(REASON_ALIASES, mapping.reason)) eventType = DEPLOYMENT_FAILURE;
    else problems.add("event_type", "is required");
  }

  const time = reader.first(["timestamp"], mapping.timestamp);
  const when = readTime(reader, time?.value, time?.path ?? "timestamp", receivedAt, receivedAt);
  const normalized: NormalizedEvent = {
    eventId,
    eventType: eventType ?? "",
    occurredAt: when.ms,
    occurredAtFromReceipt: when.fromReceipt,
    sentOccurredAt: when.sent,
  };
  if (eventType === DEPLOYMENT_FAILURE) normalized.failure = readFailure(reader);
  else if (eventType === HSM_STATUS) normalized.templateStatus = readTemplateStatus(reader);
  else if (eventType === SESSION_CLOSE) normalized.sessionClose = readSessionClose(reader, when.ms, receivedAt);
  return { normalized, problems: problems.list };
}

/**
 * Validates and normalises one event. Throws InvalidInputError listing every problem, with paths
 * prefixed by `pathPrefix` (e.g. "[3]." inside a batch).
 */
export function normalizeEvent(event: unknown, receivedAt: number, pathPrefix = "", mapping: FieldMapping = EMPTY_FIELD_MAPPING): NormalizedEvent {
  const { normalized, problems } = inspectEvent(event, receivedAt, mapping);
  if (problems.length) {
    const details = problems.map((p) => ({ path: (pathPrefix + (p.path ?? "")).replace(/\.$/, ""), message: p.message }));
    const first = details[0]!;
    throw new InvalidInputError(`${first.path || "event"} ${first.message}`, details);
  }
  return normalized;
}
