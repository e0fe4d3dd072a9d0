import { describe, expect, it } from "vitest";
import { normalizeEvent } from "@/lib/ingest/normalize";
import { reasonInfo } from "@/lib/reasons";
import { Rng } from "./rng";
import { historyEvents, TrafficModel, UNRECOGNISED_REASONS, type JsonObject, type TrafficItem } from "./traffic";

const DAY = 86_400_000;
const END = Date.UTC(2026, 10, 25, 15, 0, 0);
const START = END - 90 * DAY;

function history(seed: number, failures: number): TrafficItem[] {
  return [...historyEvents({ seed, start: START, end: END, failures })];
}

/** Top-level fields merged with those wrapped in `data` (both are read by the normaliser). */
function fields(event: JsonObject): JsonObject {
  const data = event.data;
  return typeof data === "object" && data !== null ? { ...event, ...(data as JsonObject) } : event;
}

const sample = history(7, 20_000);
const failures = sample.filter((i) => i.kind === "failure");

describe("Rng", () => {
  it("repeats its sequence for a seed and differs between seeds", () => {
    const draw = (seed: number | string) => {
      const rng = new Rng(seed);
      return Array.from({ length: 5 }, () => rng.uint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw("a")).toEqual(draw("a"));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it("draws uniform values in [0, 1) and well-formed uuids", () => {
    const rng = new Rng(1);
    const values = Array.from({ length: 10_000 }, () => rng.next());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(0.5, 1);
    expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("traffic generator", () => {
  it("is deterministic for a seed", () => {
    const a = history(3, 2_000).map((i) => JSON.stringify(i.event));
    const b = history(3, 2_000).map((i) => JSON.stringify(i.event));
    const c = history(4, 2_000).map((i) => JSON.stringify(i.event));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("gives event N the same id whatever the window, so a re-seed is deduplicated", () => {
    const ids = (end: number) =>
      [...historyEvents({ seed: 5, start: end - 90 * DAY, end, failures: 1_000 })]
        .filter((i) => i.kind === "failure")
        .map((i) => i.facts!.eventId);
    const now = ids(END);
    const later = ids(END + 3 * 3_600_000);
    const both = now.filter((id, n) => id !== null && id === later[n]);
    expect(both.length).toBeGreaterThan(900);
  });

  it("produces exactly the requested failures, in time order, inside the window", () => {
    expect(failures).toHaveLength(20_000);
    let previous = START;
    for (const item of sample) {
      expect(item.occurredAt).toBeGreaterThanOrEqual(previous);
      expect(item.occurredAt).toBeLessThan(END);
      expect(item.deliveredAt).toBeGreaterThanOrEqual(item.occurredAt);
      previous = item.occurredAt;
    }
  });

  it("only produces events the webhook accepts, normalised to what was meant", () => {
    for (const item of sample) {
      const normalized = normalizeEvent(item.event, item.deliveredAt);
      if (item.kind === "status") {
        expect(normalized.templateStatus?.status).toMatch(/^(DISABLED|APPROVED)$/);
        continue;
      }
      const facts = item.facts!;
      const f = normalized.failure!;
      expect(normalized.eventType).toBe("deployment.failure");
      expect(normalized.eventId).toBe(facts.eventId);
      expect(f.reason).toBe(facts.reason);
      expect(f.reasonKnown).toBe(reasonInfo(facts.reason) !== undefined);
      expect(f.line).toBe(facts.line ? `+${facts.line.digits}` : null);
      expect(f.template).toBe(facts.template?.name ?? null);
      expect(f.pollId).toBe(String(facts.pollId));
      expect(f.deploymentId).toBe(String(facts.deploymentId));
      if (facts.contact) expect(f.phoneE164 ?? "").toContain(facts.contact.national.slice(-6));
      if (normalized.occurredAtFromReceipt) expect(normalized.occurredAt).toBe(item.deliveredAt);
      // Unix seconds drop the milliseconds; everything else keeps the time to the millisecond.
      else expect(Math.abs(normalized.occurredAt - facts.occurredAt)).toBeLessThan(1000);
    }
  });

  it("skews reasons the way real traffic does", () => {
    const count = new Map<string, number>();
    for (const item of failures) count.set(item.facts!.reason, (count.get(item.facts!.reason) ?? 0) + 1);
    const share = (reason: string) => (count.get(reason) ?? 0) / failures.length;
    const ranked = [...count].sort((a, b) => b[1] - a[1]).map(([reason]) => reason);
    expect(ranked[0]).toBe("FAILURE_BY_RATE_LIMIT");
    expect(ranked.slice(0, 4)).toEqual(
      expect.arrayContaining(["FAILURE_BY_RATE_LIMIT", "FAILURE_BY_TIER_CAPACITY", "INVALID_PHONE", "FAILURE_BY_UNABLE_TO_CONTACT"]),
    );
    expect(share("FAILURE_BY_EXPERIMENT_NUMBER")).toBeGreaterThan(0);
    expect(share("FAILURE_BY_EXPERIMENT_NUMBER")).toBeLessThan(0.005);
    const unrecognised = UNRECOGNISED_REASONS.reduce((sum, r) => sum + share(r), 0);
    expect(unrecognised).toBeGreaterThan(0.0005);
    expect(unrecognised).toBeLessThan(0.005);
  });

  it("repeats contacts: the same numbers fail again", () => {
    const phones = failures.flatMap((i) => (i.facts!.contact ? [i.facts!.contact.countryCode + i.facts!.contact.national] : []));
    const distinct = new Set(phones).size;
    expect(distinct).toBeLessThan(phones.length * 0.8);
    expect(new Set(phones.map((p) => p.slice(0, 2)))).toEqual(new Set(["57", "52", "55", "56", "51"]));
  });

  it("follows Bogota business hours and weekdays", () => {
    const bogota = (ms: number) => new Date(ms - 5 * 3_600_000);
    const byHour = (from: number, to: number) =>
      failures.filter((i) => bogota(i.occurredAt).getUTCHours() >= from && bogota(i.occurredAt).getUTCHours() < to).length;
    expect(byHour(9, 12)).toBeGreaterThan(byHour(0, 3) * 5);
    const weekday = failures.filter((i) => bogota(i.occurredAt).getUTCDay() === 2).length;
    const sunday = failures.filter((i) => bogota(i.occurredAt).getUTCDay() === 0).length;
    expect(weekday).toBeGreaterThan(sunday * 2);
  });

  it("uses every payload alias", () => {
    const seen = new Set<string>();
    const note = (cond: boolean, name: string) => cond && seen.add(name);
    for (const item of failures) {
      const f = fields(item.event);
      const keys = Array.isArray(f.user_session_keys) ? (f.user_session_keys as Array<{ key: string }>).map((k) => k.key) : [];
      for (const alias of ["failure_reason", "reason", "failure_type", "error_code", "sender", "hsm_name", "template", "template_name"]) {
        note(alias in f, alias);
      }
      note(typeof f.line === "string", "line");
      note(typeof f.line === "object", "line.cellphone");
      note(typeof f.company === "object", "company.cellphone");
      note(keys.includes("deployment_squad"), "deployment_squad");
      note(keys.includes("tdeployment_squad"), "tdeployment_squad");
      note(typeof f.hsm === "object", "hsm.name");
      note(typeof f.user === "object", "user.cellphone");
      note("cellphone" in f, "cellphone");
      for (const alias of ["poll_id", "conversation_id", "deployment_id", "batch_id", "session_id"]) note(alias in f, alias);
      note(typeof f.poll === "object", "poll.id");
      note(typeof (f.deployment as JsonObject | undefined)?.id === "string", "deployment.id");
      note(typeof (f.deployment as JsonObject | undefined)?.batch_id === "string", "deployment.batch_id");
      note(typeof f.session === "object", "session.external_id");
      note("data" in item.event, "data");
      note(!("event_type" in item.event), "no event_type");
      note(!("event_id" in item.event), "no event_id");
      note(!("timestamp" in item.event), "no timestamp");
      note(typeof item.event.timestamp === "number" && item.event.timestamp < 1e11, "unix seconds");
      note(typeof item.event.timestamp === "number" && item.event.timestamp > 1e11, "unix ms");
      note(typeof item.event.timestamp === "string" && item.event.timestamp.endsWith("-05:00"), "iso offset");
      note(typeof item.event.timestamp === "string" && item.event.timestamp.endsWith("Z"), "iso utc");
    }
    expect([...seen].sort()).toEqual(
      [
        "failure_reason", "reason", "failure_type", "error_code", "line", "line.cellphone", "company.cellphone", "sender",
        "deployment_squad", "tdeployment_squad", "hsm.name", "hsm_name", "template", "template_name", "user.cellphone",
        "cellphone", "poll_id", "conversation_id", "poll.id", "deployment_id", "deployment.id", "batch_id",
        "deployment.batch_id", "session_id", "session.external_id", "data", "no event_type", "no event_id",
        "no timestamp", "unix seconds", "unix ms", "iso offset", "iso utc",
      ].sort(),
    );
  });

  it("never sends an event with neither an id nor a time (it would merge with its twin)", () => {
    for (const item of sample) expect("event_id" in item.event || "timestamp" in fields(item.event)).toBe(true);
  });
});

describe("scenarios", () => {
  it("disables a template mid-run with a burst of FAILURE_BY_DISABLED_HSM, then re-approves it", () => {
    const start = END;
    const end = start + 60_000;
    const model = new TrafficModel({ seed: 11, start, end });
    const incident = model.incidents.find((i) => i.kind === "template_disabled");
    if (incident?.kind !== "template_disabled") throw new Error("no template incident planned");
    expect(model.statuses.map((s) => [s.template, s.status])).toEqual([
      [incident.template, "DISABLED"],
      [incident.template, "APPROVED"],
    ]);
    const disabledShare = (from: number, to: number) => {
      let hits = 0;
      for (let i = 0; i < 2_000; i++) {
        const facts = model.failureAt(from + ((to - from) * i) / 2_000).facts!;
        if (facts.reason === "FAILURE_BY_DISABLED_HSM" && facts.template?.name === incident.template) hits++;
      }
      return hits / 2_000;
    };
    expect(disabledShare(incident.start, incident.start + 5_000)).toBeGreaterThan(0.2);
    expect(disabledShare(start, incident.start)).toBe(0);
    expect(disabledShare(incident.end, end)).toBe(0);
  });

  it("sends a burst of FAILURE_BY_TIER_CAPACITY on one line while it is out of tier", () => {
    const model = new TrafficModel({ seed: 12, start: END, end: END + 60_000 });
    const incident = model.incidents.find((i) => i.kind === "tier_capacity");
    if (incident?.kind !== "tier_capacity") throw new Error("no tier incident planned");
    const onLine = (from: number) => {
      let hits = 0;
      for (let i = 0; i < 2_000; i++) {
        const facts = model.failureAt(from + i).facts!;
        if (facts.reason === "FAILURE_BY_TIER_CAPACITY" && facts.line?.digits === incident.line.digits) hits++;
      }
      return hits / 2_000;
    };
    expect(onLine(incident.start)).toBeGreaterThan(onLine(END) + 0.25);
  });

  it("plans realistic incidents over 90 days, with their hsm.status events in the history", () => {
    const kinds = new Set(new TrafficModel({ seed: 7, start: START, end: END }).incidents.map((i) => i.kind));
    expect(kinds).toEqual(new Set(["template_disabled", "tier_capacity", "spam_restricted"]));
    const statuses = sample.filter((i) => i.kind === "status").map((i) => fields(i.event));
    expect(statuses.length).toBeGreaterThan(3);
    expect(statuses.some((s) => JSON.stringify(s).includes("DISABLED"))).toBe(true);
  });
});
