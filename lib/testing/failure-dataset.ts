import { getDb } from "@/db/client";
import type { Engine, Param } from "@/db/engine";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents, type PreparedEvent } from "@/lib/ingest/store";
import { nextEventId } from "./fixtures";

/**
 * A seeded, varied history of deployment failures for query tests: skewed reasons (some outside
 * the catalogue, some in lower case), several lines and templates plus unknown ones, missing and
 * unnormalisable phones, odd minutes/seconds/milliseconds, events on exact hour and day
 * boundaries, and bursts sharing one timestamp (ties for keyset pagination). Stored through the
 * webhook's own normalisation and storage code, so rollups and incidents are maintained as in
 * production.
 */

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const DATASET_LINES = ["+573001110001", "+573001110002", "+573001110003", "+525511110004", "+5491122220005"] as const;
export const DATASET_TEMPLATES = [
  "welcome_v2",
  "recordatorio_pago_v3",
  "promo_black_friday_2x1",
  "encuesta_nps_trimestral",
  "campaña_navidad",
  "otp_login",
] as const;

/** Reasons as the sender spells them (normalised at ingest), with weights. */
const REASON_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ["FAILURE_BY_RATE_LIMIT", 26],
  ["FAILURE_BY_TIER_CAPACITY", 16],
  ["INVALID_PHONE", 14],
  ["invalid_phone", 2],
  ["FAILURE_BY_UNABLE_TO_CONTACT", 12],
  ["FAILURE", 6],
  ["FAILURE_BY_HUMAN_HANDOVER", 4],
  ["COMPANY_RATE_LIMIT", 3],
  ["FAILURE_BY_OPTOUT_CONTACT", 3],
  ["MISSING_PARAMETER", 3],
  ["FAILURE_BY_BLOCKED_CONTACT", 2],
  ["PARAMETER_MISMATCH", 2],
  ["REVOKED", 2],
  ["FAILURE_BY_DISABLED_HSM", 2],
  ["INVALID_POLL", 1],
  ["CHARACTER_LIMIT_BODY", 1],
  ["FAILURE_BY_SPAM_RATE_LIMIT", 1],
  ["FAILURE_BY_NEW_META_RULE", 1.5],
];

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DatasetOptions {
  /** The dataset's "now": most events fall in the 100 days before it. */
  now: number;
  seed?: number;
  /** Events spread over the 100 days before `now` (default 3000). */
  count?: number;
  /** Extra instants to place one event at each (boundaries under test). */
  exactly?: number[];
  /** No random event lands within this many ms of these instants (for clock-dependent windows). */
  avoid?: { instants: number[]; margin: number };
}

export interface Dataset {
  /** Payload text of every stored event, by event id. */
  payloads: Map<string, string>;
  count: number;
}

/** Builds the events (in random order of time) and stores them in getDb()'s SQLite; returns what was sent. */
export function loadFailureDataset(options: DatasetOptions): Dataset {
  const { prepared, payloads } = failureDataset(options);
  storeEvents(getDb(), prepared);
  return { payloads, count: prepared.length };
}

/** loadFailureDataset on any engine, through its group committer. */
export async function loadFailureDatasetTo(engine: Engine, options: DatasetOptions): Promise<Dataset> {
  const { prepared, payloads } = failureDataset(options);
  // In slices, as the webhook's requests would bring them.
  for (let i = 0; i < prepared.length; i += 500) await commitEventsTo(engine, prepared.slice(i, i + 500));
  return { payloads, count: prepared.length };
}

/** The events of loadFailureDataset, prepared for ingest but not stored (to store them on any engine). */
export function failureDataset(options: DatasetOptions): { prepared: PreparedEvent[]; payloads: Map<string, string> } {
  const rand = seededRandom(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const totalWeight = REASON_WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const pickReason = () => {
    let roll = rand() * totalWeight;
    for (const [reason, weight] of REASON_WEIGHTS) {
      roll -= weight;
      if (roll < 0) return reason;
    }
    return REASON_WEIGHTS[0]![0];
  };
  const { now } = options;
  const count = options.count ?? 3000;
  const times: number[] = [];
  const tooClose = (t: number) => options.avoid?.instants.some((i) => Math.abs(t - i) < options.avoid!.margin) ?? false;
  const push = (t: number) => {
    if (!tooClose(t)) times.push(t);
  };
  for (let i = 0; i < count; i++) {
    const r = rand();
    // Skew towards recent days, like a growing account, with odd minutes, seconds and ms.
    const age = r < 0.3 ? rand() * 2 * DAY : r < 0.55 ? rand() * 10 * DAY : rand() * 100 * DAY;
    push(Math.floor(now - 1 - age));
  }
  // Older, sparser history, so the previous period of a 90-day window has data too.
  for (let i = 0; i < count / 10; i++) push(Math.floor(now - 100 * DAY - rand() * 100 * DAY));
  // Exact hour and UTC-day boundaries, and the last millisecond before them.
  for (let i = 0; i < 40; i++) {
    const hour = Math.floor((now - rand() * 60 * DAY) / HOUR) * HOUR;
    push(hour);
    push(hour - 1);
    const day = Math.floor((now - rand() * 60 * DAY) / DAY) * DAY;
    push(day);
    push(day - 1);
  }
  // Bursts: many failures of one batch share a timestamp.
  for (let i = 0; i < 12; i++) {
    const t = Math.floor(now - rand() * 20 * DAY);
    const size = 5 + Math.floor(rand() * 20);
    for (let k = 0; k < size; k++) push(t);
  }
  times.push(...(options.exactly ?? []));

  const payloads = new Map<string, string>();
  const prepared: PreparedEvent[] = [];
  for (const t of times) {
    const eventId = nextEventId("ds");
    const event: Record<string, unknown> = {
      event_type: "deployment.failure",
      event_id: eventId,
      timestamp: new Date(t).toISOString(),
      failure_reason: pickReason(),
      poll_id: `poll-${Math.floor(rand() * 9)}`,
      deployment_id: `dep-${Math.floor(rand() * 40)}`,
    };
    const lineRoll = rand();
    if (lineRoll < 0.93) event.line = pick(DATASET_LINES);
    else if (lineRoll < 0.96) event.line = "   "; // blank: unknown
    const templateRoll = rand();
    if (templateRoll < 0.92) event.hsm = { name: pick(DATASET_TEMPLATES) };
    else if (templateRoll < 0.95) event.hsm = { name: "" };
    const phoneRoll = rand();
    // A modest contact pool, so contacts repeat; digits drawn so searches find several.
    const national = `30${Math.floor(rand() * 3)}${String(Math.floor(rand() * 900)).padStart(7, "5")}`;
    if (phoneRoll < 0.88) event.user = { country_code: "57", cellphone: national };
    else if (phoneRoll < 0.93) event.user = { cellphone: national }; // no country code: no E.164
    else if (phoneRoll < 0.95) event.user = { country_code: "57", cellphone: "n/a" }; // not a phone
    // else: no contact at all
    const text = JSON.stringify(event);
    payloads.set(eventId, text);
    prepared.push(prepareEvent(event, text, t + 1_500));
  }
  return { prepared, payloads };
}

const MIX_STATUSES = ["UPDATE incidents SET status = 'acknowledged' WHERE id % 3 = 1", "UPDATE incidents SET status = 'resolved' WHERE id % 5 = 2"];

/**
 * Gives incidents a mix of statuses (deterministically by id), as people acknowledging and
 * resolving them would.
 */
export function mixIncidentStatuses(): void {
  const sqlite = getDb().sqlite;
  for (const sql of MIX_STATUSES) sqlite.prepare(sql).run();
}

/** mixIncidentStatuses on any engine. */
export async function mixIncidentStatusesOn(engine: Engine): Promise<void> {
  for (const sql of MIX_STATUSES) await engine.exec(sql);
}

/**
 * The plain-SQL reading of a dashboard filter, for tests that check the rollup-backed queries
 * against the raw failures: failures joined to their incidents, every condition spelled out.
 */
export interface PlainSqlFilter {
  lines?: readonly string[];
  templates?: readonly string[];
  reasons?: readonly string[];
  statuses?: readonly string[];
  /** One more condition on `f` (a phone search), with its parameters. */
  also?: { sql: string; params: Param[] };
}

/** Filters a facet leaves out of its own counts (a facet counts every value of its dimension). */
export interface Dropped {
  reason?: boolean;
  line?: boolean;
  template?: boolean;
}

export interface PlainSql {
  sql: string;
  params: Param[];
}

/** `FROM … WHERE …` for the failures in [from, to) that `filter` matches. */
export function plainSqlWhere(filter: PlainSqlFilter, from: number, to: number, drop: Dropped = {}): PlainSql {
  const parts = ["f.occurred_at >= ?", "f.occurred_at < ?"];
  const params: Param[] = [from, to];
  if (filter.also) {
    parts.push(filter.also.sql);
    params.push(...filter.also.params);
  }
  const list = (col: string, values: readonly string[] | undefined) => {
    if (!values) return;
    parts.push(`${col} IN (${values.map(() => "?").join(", ")})`);
    params.push(...values);
  };
  if (!drop.reason) list("f.reason", filter.reasons);
  if (!drop.line) list("f.line", filter.lines);
  if (!drop.template) list("f.template", filter.templates);
  list("i.status", filter.statuses);
  return { sql: `FROM failures f JOIN incidents i ON i.id = f.incident_id WHERE ${parts.join(" AND ")}`, params };
}
