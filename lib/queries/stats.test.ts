import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, Param } from "@/db/engine";
import { inSnapshot } from "@/db/snapshot";
import { parseFilters, type Filters } from "@/lib/filters";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DATASET_TEMPLATES, DAY, failureDataset, HOUR, MINUTE } from "@/lib/testing/failure-dataset";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { contactsEstimate, contactsExactly, stats as statsOf, type Stats, type StatsOptions } from "./stats";

// On both engines: the same dataset ingested into each through its own committer.
const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());
let engine: Engine;

// An instant with odd minutes, seconds and milliseconds: preset windows cut hours in the middle.
const NOW = Date.UTC(2026, 10, 25, 15, 17, 23, 456);
const CUSTOM_FROM = Date.UTC(2026, 8, 14, 7, 23, 41, 250);
const CUSTOM_TO = Date.UTC(2026, 10, 2, 18, 7, 5, 0);

/** The overview on the engine, in one snapshot. */
const getStats = (filters: Filters, options: StatsOptions) => inSnapshot(engine, (dialect) => statsOf(dialect, filters, options));

// ---------------------------------------------------------------------------------------------
// The reference: plain SQL over the raw failures table, written independently of lib/queries.

/** What a filter means, spelled out by hand for the reference queries. */
interface Expect {
  from: number;
  to: number;
  /** Stored reason codes allowed (already canonical). */
  reasons?: string[];
  /** Stored line values allowed ("" = unknown). */
  lines?: string[];
  templates?: string[];
  statuses?: string[];
  /** Digits that must appear in the contact's E.164 number or cellphone. */
  phone?: string;
  /** A phone search with no digits matches nothing. */
  none?: boolean;
}

function refWhere(e: Expect, from = e.from, to = e.to): { sql: string; params: Param[] } {
  const parts = ["f.occurred_at >= ?", "f.occurred_at < ?"];
  const params: Param[] = [from, to];
  const list = (col: string, values: string[] | undefined) => {
    if (!values) return;
    parts.push(values.length ? `${col} IN (${values.map(() => "?").join(",")})` : "1 = 0");
    params.push(...values);
  };
  list("f.reason", e.reasons);
  list("f.line", e.lines);
  list("f.template", e.templates);
  list("i.status", e.statuses);
  if (e.phone) {
    // Digits only, so LIKE's wildcards and case rules do not come into it.
    parts.push("(coalesce(f.phone_e164, '') LIKE ? OR coalesce(f.cellphone, '') LIKE ?)");
    params.push(`%${e.phone}%`, `%${e.phone}%`);
  }
  if (e.none) parts.push("1 = 0");
  return { sql: `FROM failures f JOIN incidents i ON i.id = f.incident_id WHERE ${parts.join(" AND ")}`, params };
}

/** One number a statement selects `AS n`. */
const one = async (sql: string, params: Param[] = []) => (await engine.one<{ n: number }>(sql, params))!.n;

function refCount(e: Expect, from = e.from, to = e.to): Promise<number> {
  const w = refWhere(e, from, to);
  return one(`SELECT count(*) AS n ${w.sql}`, w.params);
}

async function refGroup(e: Expect, col: string, from = e.from, to = e.to): Promise<Record<string, number>> {
  const w = refWhere(e, from, to);
  const rows = await engine.query<{ k: string; n: number }>(`SELECT ${col} AS k, count(*) AS n ${w.sql} GROUP BY 1`, w.params);
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

function refContacts(e: Expect): Promise<number> {
  const w = refWhere(e);
  return one(`SELECT count(*) AS n FROM (SELECT DISTINCT coalesce(f.phone_e164, f.cellphone) AS c ${w.sql}) AS contacts WHERE c IS NOT NULL`, w.params);
}

const asMap = <T>(rows: T[], key: (r: T) => string | null, count: (r: T) => number) =>
  Object.fromEntries(rows.map((r) => [key(r) ?? "", count(r)]));

function expectSortedDesc(counts: number[]): void {
  for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeLessThanOrEqual(counts[i - 1]!);
}

/** Every figure of `stats` against the reference. */
async function expectMatchesReference(stats: Stats, e: Expect): Promise<void> {
  expect(stats.window.from).toBe(new Date(e.from).toISOString());
  expect(stats.window.to).toBe(new Date(e.to).toISOString());
  const total = await refCount(e);
  expect(stats.total, "total").toBe(total);
  expect(stats.previousTotal, "previousTotal").toBe(await refCount(e, e.from - (e.to - e.from), e.from));
  expect(stats.contacts, "contacts").toBe(await refContacts(e));
  expect(asMap(stats.byReason, (r) => r.reason, (r) => r.count), "byReason").toEqual(await refGroup(e, "f.reason"));
  expect(asMap(stats.byLine, (r) => r.line, (r) => r.count), "byLine").toEqual(await refGroup(e, "f.line"));
  expect(asMap(stats.byTemplate, (r) => r.template, (r) => r.count), "byTemplate").toEqual(await refGroup(e, "f.template"));
  for (const list of [stats.byReason, stats.byLine, stats.byTemplate]) expectSortedDesc(list.map((r) => r.count));
  // Unknown line/template are reported as null, never as "".
  expect(stats.byLine.some((r) => r.line === "")).toBe(false);
  expect(stats.byTemplate.some((r) => r.template === "")).toBe(false);

  const timelineSum = stats.timeline.reduce((s, p) => s + Object.values(p.counts).reduce((a, b) => a + b, 0), 0);
  expect(timelineSum, "timeline sum").toBe(total);
  // Each bucket holds exactly the failures of its slice of the window, reason by reason.
  const starts = stats.timeline.map((p) => Date.parse(p.bucket));
  expect(starts[0]!).toBeLessThanOrEqual(e.from);
  expect(starts.at(-1)!).toBeLessThan(e.to);
  for (let i = 1; i < starts.length; i++) expect(starts[i]!).toBeGreaterThan(starts[i - 1]!);
  for (const [i, point] of stats.timeline.entries()) {
    const a = Math.max(starts[i]!, e.from);
    const b = Math.min(starts[i + 1] ?? e.to, e.to);
    expect(point.counts, `bucket ${point.bucket}`).toEqual(await refGroup(e, "f.reason", a, b));
  }
}

// ---------------------------------------------------------------------------------------------

const [L1, L2, L3] = DATASET_LINES;
const [T1, T2] = DATASET_TEMPLATES;
const at = (ms: number) => new Date(ms).toISOString();
const ago = (ms: number): Pick<Expect, "from" | "to"> => ({ from: NOW - ms, to: NOW });
const custom = { from: CUSTOM_FROM, to: CUSTOM_TO };

/** The stored phone failing most, to search for (the cases search a middle part of it). */
let samplePhone = "";
/** Digits of a stored cellphone whose contact has no E.164 number (searched through failures_cellphone_idx). */
let cellphoneOnly = "";

/** Reads samplePhone and cellphoneOnly from the engine's dataset. */
async function pickPhones(): Promise<void> {
  samplePhone = (await engine.one<{ phone_e164: string }>("SELECT phone_e164 FROM failures WHERE phone_e164 IS NOT NULL GROUP BY phone_e164 ORDER BY count(*) DESC LIMIT 1"))!.phone_e164;
  // The most failing cellphone starting with six digits (no GLOB on PostgreSQL: tested here).
  const cellphones = await engine.query<{ cellphone: string }>("SELECT cellphone FROM failures WHERE phone_e164 IS NULL AND cellphone IS NOT NULL GROUP BY cellphone ORDER BY count(*) DESC");
  cellphoneOnly = cellphones.find((r) => /^\d{6}/.test(r.cellphone))!.cellphone.slice(2, 8);
}

// Reason classes spelled out from Treble's documentation (not read from lib/reasons).
const DO_NOT_CONTACT = ["INVALID_PHONE", "FAILURE_BY_BLOCKED_CONTACT", "FAILURE_BY_OPTOUT_CONTACT", "FAILURE_BY_EXPERIMENT_NUMBER", "FAILURE_BY_UNABLE_TO_CONTACT"];
const FIX_THEN_RETRY = ["MISSING_PARAMETER", "PARAMETER_MISMATCH", "INVALID_POLL", "CHARACTER_LIMIT_HEADER", "CHARACTER_LIMIT_BODY", "FAILURE_BY_DISABLED_HSM"];
const NO_ACTION = ["REVOKED"];

interface Case {
  name: string;
  query: string;
  expect: () => Expect;
  /** The case is expected to count nothing. */
  empty?: boolean;
}

const CASES: Case[] = [
  { name: "no filter (default 24h)", query: "", expect: () => ago(DAY) },
  { name: "range=1h", query: "range=1h", expect: () => ago(HOUR) },
  { name: "range=24h", query: "range=24h", expect: () => ago(DAY) },
  { name: "range=7d", query: "range=7d", expect: () => ago(7 * DAY) },
  { name: "range=30d", query: "range=30d", expect: () => ago(30 * DAY) },
  { name: "range=90d", query: "range=90d", expect: () => ago(90 * DAY) },
  {
    name: "reasons (one given in lower case)",
    query: "range=90d&reason=FAILURE_BY_RATE_LIMIT,invalid_phone",
    expect: () => ({ ...ago(90 * DAY), reasons: ["FAILURE_BY_RATE_LIMIT", "INVALID_PHONE"] }),
  },
  {
    name: "an unrecognised reason",
    query: "range=30d&reason=FAILURE_BY_NEW_META_RULE",
    expect: () => ({ ...ago(30 * DAY), reasons: ["FAILURE_BY_NEW_META_RULE"] }),
  },
  { name: "class", query: "range=30d&class=do_not_contact", expect: () => ({ ...ago(30 * DAY), reasons: DO_NOT_CONTACT }) },
  {
    name: "two classes",
    query: "range=7d&class=fix_then_retry,no_action",
    expect: () => ({ ...ago(7 * DAY), reasons: [...FIX_THEN_RETRY, ...NO_ACTION] }),
  },
  {
    name: "reason ∩ class",
    query: "range=90d&class=do_not_contact&reason=INVALID_PHONE,FAILURE_BY_RATE_LIMIT",
    expect: () => ({ ...ago(90 * DAY), reasons: ["INVALID_PHONE"] }),
  },
  {
    name: "reason and class that do not meet",
    query: "range=90d&class=no_action&reason=INVALID_PHONE",
    expect: () => ({ ...ago(90 * DAY), reasons: [] }),
    empty: true,
  },
  { name: "line", query: `range=30d&line=${encodeURIComponent(L1)}`, expect: () => ({ ...ago(30 * DAY), lines: [L1] }) },
  { name: "unknown line", query: "range=90d&line=(unknown)", expect: () => ({ ...ago(90 * DAY), lines: [""] }) },
  {
    name: "a line or the unknown line",
    query: `range=7d&line=${encodeURIComponent(`${L2},(unknown)`)}`,
    expect: () => ({ ...ago(7 * DAY), lines: [L2, ""] }),
  },
  { name: "template", query: `range=90d&template=${encodeURIComponent(T2)}`, expect: () => ({ ...ago(90 * DAY), templates: [T2] }) },
  { name: "unknown template", query: "range=90d&template=(unknown)", expect: () => ({ ...ago(90 * DAY), templates: [""] }) },
  {
    name: "non-ASCII template",
    query: `range=90d&template=${encodeURIComponent("campaña_navidad")}`,
    expect: () => ({ ...ago(90 * DAY), templates: ["campaña_navidad"] }),
  },
  {
    name: "line + template",
    query: `range=30d&line=${encodeURIComponent(`${L1},${L3}`)}&template=${encodeURIComponent(`${T1},(unknown)`)}`,
    expect: () => ({ ...ago(30 * DAY), lines: [L1, L3], templates: [T1, ""] }),
  },
  { name: "status", query: "range=30d&status=acknowledged", expect: () => ({ ...ago(30 * DAY), statuses: ["acknowledged"] }) },
  {
    name: "two statuses + reason",
    query: "range=90d&status=open,resolved&reason=FAILURE_BY_TIER_CAPACITY",
    expect: () => ({ ...ago(90 * DAY), statuses: ["open", "resolved"], reasons: ["FAILURE_BY_TIER_CAPACITY"] }),
  },
  {
    name: "phone search (part of a number)",
    query: "range=90d&q=PHONE_MIDDLE",
    expect: () => ({ ...ago(90 * DAY), phone: samplePhone.slice(4, 11) }),
  },
  {
    name: "phone search (whole number, typed with spaces) + line",
    query: `range=90d&q=PHONE_SPACED&line=${encodeURIComponent(L1)}`,
    expect: () => ({ ...ago(90 * DAY), phone: samplePhone.slice(1), lines: [L1] }),
  },
  { name: "phone search without digits", query: "range=90d&q=abc", expect: () => ({ ...ago(90 * DAY), none: true }), empty: true },
  { name: "phone search 1h", query: "range=1h&q=57", expect: () => ({ ...ago(HOUR), phone: "57" }) },
  { name: "custom from/to with odd minutes", query: `from=${at(CUSTOM_FROM)}&to=${at(CUSTOM_TO)}`, expect: () => custom },
  {
    name: "custom from/to + reason + template + tz",
    query: `from=${at(CUSTOM_FROM)}&to=${at(CUSTOM_TO)}&reason=FAILURE_BY_RATE_LIMIT,FAILURE_BY_NEW_META_RULE&template=${T1}&tz=America/Bogota`,
    expect: () => ({ ...custom, reasons: ["FAILURE_BY_RATE_LIMIT", "FAILURE_BY_NEW_META_RULE"], templates: [T1] }),
  },
  {
    name: "custom window inside one hour",
    query: `from=${at(NOW - 50 * MINUTE - 7_000)}&to=${at(NOW - 3 * MINUTE)}`,
    expect: () => ({ from: NOW - 50 * MINUTE - 7_000, to: NOW - 3 * MINUTE }),
  },
  {
    name: "custom window across a few hours (minute buckets)",
    query: `from=${at(NOW - 2 * HOUR - 59 * MINUTE)}&to=${at(NOW - 1_234)}`,
    expect: () => ({ from: NOW - 2 * HOUR - 59 * MINUTE, to: NOW - 1_234 }),
  },
  {
    name: "custom from only (to = now)",
    query: `from=${at(NOW - 3 * DAY - 17 * MINUTE)}&status=open`,
    expect: () => ({ from: NOW - 3 * DAY - 17 * MINUTE, to: NOW, statuses: ["open"] }),
  },
  {
    name: "custom to only (24 h before it)",
    query: `to=${at(NOW - 5 * DAY + 31 * MINUTE)}`,
    expect: () => ({ from: NOW - 6 * DAY + 31 * MINUTE, to: NOW - 5 * DAY + 31 * MINUTE }),
  },
  { name: "Bogota, day buckets", query: "range=90d&tz=America/Bogota", expect: () => ago(90 * DAY) },
  { name: "Kolkata, hour buckets", query: `range=7d&tz=Asia/Kolkata&line=${encodeURIComponent(`(unknown),${L2}`)}`, expect: () => ({ ...ago(7 * DAY), lines: ["", L2] }) },
  { name: "Kolkata, day buckets", query: "range=30d&tz=Asia/Kolkata", expect: () => ago(30 * DAY) },
  { name: "Kathmandu, day buckets, status", query: "range=90d&tz=Asia/Kathmandu&status=acknowledged", expect: () => ({ ...ago(90 * DAY), statuses: ["acknowledged"] }) },
  { name: "Kolkata, hour buckets, unfiltered", query: "range=7d&tz=Asia/Kolkata", expect: () => ago(7 * DAY) },
  { name: "Kolkata, 24h, class", query: "range=24h&tz=Asia/Kolkata&class=retry_later", expect: () => ({ ...ago(DAY), reasons: ["FAILURE", "FAILURE_BY_HUMAN_HANDOVER", "FAILURE_BY_RATE_LIMIT", "COMPANY_RATE_LIMIT", "FAILURE_BY_TIER_CAPACITY", "FAILURE_BY_SPAM_RATE_LIMIT"] }) },
  { name: "Kolkata, 90 days, reason", query: "range=90d&tz=Asia/Kolkata&reason=FAILURE_BY_RATE_LIMIT,INVALID_PHONE", expect: () => ({ ...ago(90 * DAY), reasons: ["FAILURE_BY_RATE_LIMIT", "INVALID_PHONE"] }) },
  { name: "Kathmandu (+5:45), 90 days, unfiltered", query: "range=90d&tz=Asia/Kathmandu", expect: () => ago(90 * DAY) },
  { name: "Kathmandu (+5:45), hour buckets", query: "range=7d&tz=Asia/Kathmandu", expect: () => ago(7 * DAY) },
  { name: "St John's (−3:30), day buckets, custom window", query: `from=${at(CUSTOM_FROM)}&to=${at(CUSTOM_TO)}&tz=America/St_Johns`, expect: () => custom },
  { name: "Chatham (+12:45), 30 days", query: "range=30d&tz=Pacific/Chatham", expect: () => ago(30 * DAY) },
  {
    name: "Adelaide (+9:30 → +10:30) across its DST change, day buckets",
    query: "from=2026-09-28T03:10:00Z&to=2026-10-10T11:47:00Z&tz=Australia/Adelaide",
    expect: () => ({ from: Date.parse("2026-09-28T03:10:00Z"), to: Date.parse("2026-10-10T11:47:00Z") }),
  },
  {
    name: "Adelaide across its DST change, hour buckets",
    query: "from=2026-10-02T03:10:00Z&to=2026-10-06T11:47:00Z&tz=Australia/Adelaide",
    expect: () => ({ from: Date.parse("2026-10-02T03:10:00Z"), to: Date.parse("2026-10-06T11:47:00Z") }),
  },
  {
    name: "Kolkata, line + template + status, day buckets",
    query: `range=90d&tz=Asia/Kolkata&line=${encodeURIComponent(L1)}&template=${encodeURIComponent(`${T1},${T2}`)}&status=open,acknowledged`,
    expect: () => ({ ...ago(90 * DAY), lines: [L1], templates: [T1, T2], statuses: ["open", "acknowledged"] }),
  },
  { name: "phone search, three digits, 90 days", query: "range=90d&q=305", expect: () => ({ ...ago(90 * DAY), phone: "305" }) },
  { name: "phone search, three digits + class, Kolkata", query: "range=30d&q=555&class=do_not_contact&tz=Asia/Kolkata", expect: () => ({ ...ago(30 * DAY), phone: "555", reasons: DO_NOT_CONTACT }) },
  { name: "phone search, one digit", query: "range=7d&q=3", expect: () => ({ ...ago(7 * DAY), phone: "3" }) },
  // The breakdowns' read of a phone search also counts its timeline: by local day (across a DST
  // change), by hour, and by minute in a zone half an hour off UTC.
  {
    name: "phone search, New York day buckets across the DST change",
    query: "from=2026-10-24T10:10:00Z&to=2026-11-07T03:33:00Z&tz=America/New_York&q=PHONE_MIDDLE",
    expect: () => ({ from: Date.parse("2026-10-24T10:10:00Z"), to: Date.parse("2026-11-07T03:33:00Z"), phone: samplePhone.slice(4, 11) }),
  },
  { name: "phone search, hour buckets, Bogota", query: "range=7d&q=PHONE_MIDDLE&tz=America/Bogota", expect: () => ({ ...ago(7 * DAY), phone: samplePhone.slice(4, 11) }) },
  { name: "phone search, Kolkata, hour buckets", query: "range=7d&q=PHONE_MIDDLE&tz=Asia/Kolkata", expect: () => ({ ...ago(7 * DAY), phone: samplePhone.slice(4, 11) }) },
  {
    name: "phone search of a contact without E.164 (cellphone only)",
    query: "range=90d&q=CELLPHONE_ONLY",
    expect: () => ({ ...ago(90 * DAY), phone: cellphoneOnly }),
  },
  { name: "New York across the DST change", query: "from=2026-10-29T10:10:00Z&to=2026-11-04T03:33:00Z&tz=America/New_York", expect: () => ({ from: Date.parse("2026-10-29T10:10:00Z"), to: Date.parse("2026-11-04T03:33:00Z") }) },
];

function statsFor(query: string): Promise<Stats> {
  const phone = samplePhone;
  const q = query
    .replace("PHONE_MIDDLE", phone.slice(4, 11))
    .replace("CELLPHONE_ONLY", cellphoneOnly)
    .replace("PHONE_SPACED", encodeURIComponent(`+${phone.slice(1, 3)} ${phone.slice(3, 6)} ${phone.slice(6)}`));
  return getStats(parseFilters(new URLSearchParams(q)), { now: NOW, defaultTz: "UTC" });
}

/** Local wall-clock parts of `ms` in `tz`, straight from Intl. */
function wallClock(ms: number, tz: string): { date: string; hour: number; minute: number; second: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

describe.each(ENGINES)("on %s", (name) => {
  beforeAll(async () => {
    engine = await databases.use(name);
    const { prepared } = failureDataset({
      now: NOW,
      seed: 7,
      // Exactly on window edges: `from` is inclusive, `to` exclusive.
      exactly: [NOW, NOW - 1, NOW - HOUR, NOW - DAY, NOW - 7 * DAY, NOW - 30 * DAY, NOW - 90 * DAY, CUSTOM_FROM, CUSTOM_TO, CUSTOM_TO - 1],
    });
    for (let i = 0; i < prepared.length; i += 500) await commitEventsTo(engine, prepared.slice(i, i + 500));
    // A mix of statuses, deterministically by id, as people acknowledging and resolving them would.
    await engine.exec("UPDATE incidents SET status = 'acknowledged' WHERE id % 3 = 1");
    await engine.exec("UPDATE incidents SET status = 'resolved' WHERE id % 5 = 2");
    await pickPhones();
    // Some 3,700 events through the committer: minutes on a busy machine.
  }, CLUSTER_START_TIMEOUT_MS + 600_000);

  describe("getStats equals plain SQL over the raw failures", () => {
    it("has a dataset worth testing", async () => {
      const n = one;
      expect(await n("SELECT count(*) AS n FROM failures")).toBeGreaterThan(3000);
      expect(await n("SELECT count(*) AS n FROM failures WHERE line = ''")).toBeGreaterThan(50);
      expect(await n("SELECT count(*) AS n FROM failures WHERE template = ''")).toBeGreaterThan(50);
      expect(await n("SELECT count(*) AS n FROM failures WHERE phone_e164 IS NULL AND cellphone IS NULL")).toBeGreaterThan(20);
      expect(await n("SELECT count(*) AS n FROM failures WHERE reason_known = 0")).toBeGreaterThan(10);
      expect(await n("SELECT count(*) AS n FROM failures WHERE occurred_at % 3600000 <> 0")).toBeGreaterThan(3000);
      expect(await n("SELECT count(DISTINCT status) AS n FROM incidents")).toBe(3);
    });

    for (const c of CASES) {
      it(c.name, async () => {
        const e = c.expect();
        const stats = await statsFor(c.query);
        await expectMatchesReference(stats, e);
        if (c.empty) expect(stats.total).toBe(0);
        else expect(stats.total, "a case that counts nothing proves little").toBeGreaterThan(0);
      });
    }

    it("ignores failures at or after `to` and counts those at `from`", async () => {
      const stats = await getStats(parseFilters(new URLSearchParams(`from=${at(CUSTOM_FROM)}&to=${at(CUSTOM_TO)}`)), { now: NOW });
      const justInside = await getStats(parseFilters(new URLSearchParams(`from=${at(CUSTOM_FROM)}&to=${at(CUSTOM_TO + 1)}`)), { now: NOW });
      const shifted = await getStats(parseFilters(new URLSearchParams(`from=${at(CUSTOM_FROM + 1)}&to=${at(CUSTOM_TO)}`)), { now: NOW });
      expect(justInside.total).toBe(stats.total + 1); // the failure exactly at CUSTOM_TO
      expect(shifted.total).toBe(stats.total - 1); // the failure exactly at CUSTOM_FROM
      // A past window's contacts are corrected one overtaken contact at a time: a round trip apiece on PostgreSQL.
    }, 60_000);

    it("counts failures stored after a given id with the same filters", async () => {
      const maxId = await one("SELECT max(id) AS n FROM failures");
      const stats = await getStats(parseFilters(new URLSearchParams(`line=${encodeURIComponent(L1)}`)), { now: NOW, afterId: maxId - 200 });
      expect(stats.latestFailureId).toBe(maxId);
      // Bounded in time like every read: what occurred since the window began.
      const expected = await one("SELECT count(*) AS n FROM failures WHERE id > ? AND line = ? AND occurred_at >= ?", [maxId - 200, L1, Date.parse(stats.window.from)]);
      expect(expected).toBeGreaterThan(0);
      expect(stats.newSinceAfterId).toBe(expected);
      expect((await getStats(parseFilters(new URLSearchParams()), { now: NOW })).newSinceAfterId).toBeNull();
    });
  });

  describe("timeline buckets", () => {
    it("cuts 90 days in America/Bogota into local days starting at 05:00 UTC", async () => {
      const stats = await getStats(parseFilters(new URLSearchParams("range=90d&tz=America/Bogota")), { now: NOW });
      expect(stats.bucketUnit).toBe("day");
      expect(stats.window.tz).toBe("America/Bogota");
      // 90 × 24 h starting mid-day covers 91 local days.
      expect(stats.timeline).toHaveLength(91);
      const dates = new Set<string>();
      for (const p of stats.timeline) {
        const start = Date.parse(p.bucket);
        expect(new Date(start).getUTCHours()).toBe(5);
        expect(start % HOUR).toBe(0);
        const local = wallClock(start, "America/Bogota");
        expect([local.hour, local.minute, local.second]).toEqual([0, 0, 0]);
        dates.add(local.date);
      }
      expect(dates.size).toBe(91);
      expect(wallClock(Date.parse(stats.timeline[0]!.bucket), "America/Bogota").date).toBe(wallClock(NOW - 90 * DAY, "America/Bogota").date);
      expect(wallClock(Date.parse(stats.timeline.at(-1)!.bucket), "America/Bogota").date).toBe(wallClock(NOW - 1, "America/Bogota").date);
    });

    it("cuts 7 days in Asia/Kolkata into local hours starting at half past UTC hours", async () => {
      const stats = await getStats(parseFilters(new URLSearchParams("range=7d&tz=Asia/Kolkata")), { now: NOW });
      expect(stats.bucketUnit).toBe("hour");
      // 168 h starting at :47 past a local hour (15:17 UTC = 20:47 IST) touch 169 local hours.
      expect(stats.timeline).toHaveLength(7 * 24 + 1);
      stats.timeline.forEach((p, i) => {
        const start = Date.parse(p.bucket);
        expect(new Date(start).getUTCMinutes()).toBe(30);
        expect(wallClock(start, "Asia/Kolkata").minute).toBe(0);
        if (i) expect(start - Date.parse(stats.timeline[i - 1]!.bucket)).toBe(HOUR);
      });
    });

    it("cuts 30 days in Asia/Kolkata into local days starting at 18:30 UTC", async () => {
      const stats = await getStats(parseFilters(new URLSearchParams("range=30d&tz=Asia/Kolkata")), { now: NOW });
      expect(stats.bucketUnit).toBe("day");
      expect(stats.timeline).toHaveLength(31);
      for (const p of stats.timeline) expect(p.bucket).toMatch(/T18:30:00\.000Z$/);
    });

    it("uses minute buckets up to 3 hours, in the default time zone", async () => {
      const stats = await getStats(parseFilters(new URLSearchParams("range=1h")), { now: NOW, defaultTz: "Asia/Kolkata" });
      expect(stats.bucketUnit).toBe("minute");
      expect(stats.window.tz).toBe("Asia/Kolkata");
      // 60 minutes starting at :17:23 touch 61 minute buckets.
      expect(stats.timeline).toHaveLength(61);
      expect(stats.timeline[0]!.bucket).toBe(new Date(Math.floor((NOW - HOUR) / MINUTE) * MINUTE).toISOString());
    });

    it("has 25 local hours on the day New York falls back, and a 23-hour day when it springs forward", async () => {
      const fall = await getStats(parseFilters(new URLSearchParams("from=2026-11-01T04:00:00Z&to=2026-11-02T05:00:00Z&tz=America/New_York")), { now: NOW });
      expect(fall.bucketUnit).toBe("hour");
      expect(fall.timeline).toHaveLength(25);
      for (let i = 1; i < 25; i++) expect(wallClock(Date.parse(fall.timeline[i]!.bucket), "America/New_York").minute).toBe(0);
      // Two buckets start at 01:00 local: one in EDT, then one in EST.
      expect(fall.timeline.filter((p) => wallClock(Date.parse(p.bucket), "America/New_York").hour === 1)).toHaveLength(2);
      const spring = await getStats(parseFilters(new URLSearchParams("from=2026-03-01T05:00:00Z&to=2026-03-15T04:00:00Z&tz=America/New_York")), { now: NOW });
      expect(spring.bucketUnit).toBe("day");
      const starts = spring.timeline.map((p) => p.bucket);
      expect(starts).toHaveLength(14);
      expect(starts.slice(6, 9)).toEqual(["2026-03-07T05:00:00.000Z", "2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"]);
    });
  });

  describe("contact sketches", () => {
    it("estimate the exact distinct contacts of any window closely", async () => {
      for (const [from, to] of [
        [NOW - 90 * DAY, NOW],
        [NOW - 7 * DAY - 17 * MINUTE, NOW - 3 * HOUR],
        [CUSTOM_FROM, CUSTOM_TO],
      ] as const) {
        for (const filters of [parseFilters({}), parseFilters({ class: "do_not_contact" }), parseFilters({ reason: "INVALID_PHONE,FAILURE" })]) {
          const exact = await inSnapshot(engine, (dialect) => contactsExactly(dialect, filters, from, to));
          const estimate = await inSnapshot(engine, (dialect) => contactsEstimate(dialect, filters, from, to));
          expect(exact).toBeGreaterThan(0);
          expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.05);
        }
      }
    });

    it("estimate a one-digit search's contacts beyond the exact limit as the window's contacts times the share of its failures matched", async () => {
      for (const [query, from] of [
        ["range=90d&q=3", NOW - 90 * DAY],
        ["range=24h&q=7", NOW - DAY],
      ] as const) {
        const exactLimit = await getStats(parseFilters(new URLSearchParams(query)), { now: NOW });
        const estimated = await getStats(parseFilters(new URLSearchParams(query)), { now: NOW, exactContactsLimit: 10 });
        expect(exactLimit.contactsApproximate, query).toBe(false);
        expect(estimated.contactsApproximate, query).toBe(true);
        const searched = { from, to: NOW, phone: query.slice(-1) };
        const windowContacts = await refContacts({ from, to: NOW });
        const expected = Math.min(estimated.total, Math.round((windowContacts * estimated.total) / (await refCount({ from, to: NOW }))));
        // The window's contacts are exact where the state answers, as for a window ending now.
        expect(estimated.contacts, query).toBe(expected);
        expect(exactLimit.contacts, query).toBe(await refContacts(searched));
      }
    });

    it("count a two-digit search's contacts exactly from the state, however many failures it matches", async () => {
      for (const [query, from] of [
        ["range=90d&q=45", NOW - 90 * DAY],
        ["range=7d&q=12", NOW - 7 * DAY],
      ] as const) {
        const counted = await getStats(parseFilters(new URLSearchParams(query)), { now: NOW, exactContactsLimit: 10 });
        expect(counted.total, query).toBeGreaterThan(10);
        expect(counted.contactsApproximate, query).toBe(false);
        expect(counted.contacts, query).toBe(await refContacts({ from, to: NOW, phone: query.slice(-2) }));
      }
    });

    it("count a status's contacts exactly up to the exact limit and not beyond (incidents keep no per-contact state; no share of the failures estimates them well)", async () => {
      const cases: Array<[string, Expect]> = [
        ["range=90d&status=open", ago(90 * DAY)],
        ["range=7d&status=resolved,acknowledged&reason=FAILURE,INVALID_PHONE", { ...ago(7 * DAY), reasons: ["FAILURE", "INVALID_PHONE"] }],
        [`range=30d&status=open&line=${encodeURIComponent(L1)}`, { ...ago(30 * DAY), lines: [L1] }],
      ];
      for (const [query, others] of cases) {
        const exact = await getStats(parseFilters(new URLSearchParams(query)), { now: NOW });
        const beyond = await getStats(parseFilters(new URLSearchParams(query)), { now: NOW, exactContactsLimit: 10 });
        const statuses = new URLSearchParams(query).get("status")!.split(",");
        expect(exact.contactsApproximate, query).toBe(false);
        expect(exact.contacts, query).toBe(await refContacts({ ...others, statuses }));
        expect(beyond.total, query).toBeGreaterThan(10);
        expect(beyond.contacts, query).toBeNull();
        expect(beyond.contactsApproximate, query).toBe(false);
      }
    });
  });
});
