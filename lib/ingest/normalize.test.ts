import { describe, expect, it } from "vitest";
import { InvalidInputError, type ErrorDetail } from "@/lib/http/errors";
import { FIELD_MAX_LENGTH } from "./limits";
import { EMPTY_FIELD_MAPPING } from "./field-mapping";
import { normalizeEvent, type FailureFields } from "./normalize";

const RECEIVED = Date.UTC(2026, 10, 25, 15, 0, 0);

/** The failure fields of a deployment.failure event built from `fields` (+ a reason unless given). */
function failure(fields: Record<string, unknown>): FailureFields {
  const event = { event_type: "deployment.failure", failure_reason: "FAILURE", ...fields };
  const normalized = normalizeEvent(event, RECEIVED);
  expect(normalized.failure).toBeDefined();
  return normalized.failure!;
}

function problems(event: unknown, prefix = ""): ErrorDetail[] {
  try {
    normalizeEvent(event, RECEIVED, prefix);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).details ?? [];
  }
  throw new Error(`expected ${JSON.stringify(event)} to be rejected`);
}

describe("normalizeEvent: envelope", () => {
  it("reads event_id, event_type and the event time", () => {
    const n = normalizeEvent(
      { event_type: "deployment.failure", event_id: " evt-1 ", timestamp: "2026-11-25T14:02:00Z", failure_reason: "FAILURE" },
      RECEIVED,
    );
    expect(n).toMatchObject({
      eventId: "evt-1",
      eventType: "deployment.failure",
      occurredAt: Date.UTC(2026, 10, 25, 14, 2, 0),
      occurredAtFromReceipt: false,
    });
  });

  it("uses the receipt time when there is no timestamp and keeps event_id null when absent", () => {
    const n = normalizeEvent({ event_type: "deployment.failure", failure_reason: "FAILURE" }, RECEIVED);
    expect(n).toMatchObject({ eventId: null, occurredAt: RECEIVED, occurredAtFromReceipt: true });
  });

  it("infers deployment.failure when event_type is absent but a reason is present", () => {
    for (const alias of ["failure_reason", "reason", "failure_type", "error_code"]) {
      const n = normalizeEvent({ [alias]: "INVALID_PHONE" }, RECEIVED);
      expect(n.eventType, alias).toBe("deployment.failure");
      expect(n.failure?.reason, alias).toBe("INVALID_PHONE");
    }
    expect(normalizeEvent({ data: { failure_reason: "REVOKED" } }, RECEIVED).eventType).toBe("deployment.failure");
  });

  it("requires event_type when nothing identifies the event", () => {
    expect(problems({ event_id: "x" })).toEqual([{ path: "event_type", message: "is required" }]);
  });

  it("keeps other event types without a failure or template status", () => {
    const n = normalizeEvent({ event_type: "conversation.closed", event_id: "c1" }, RECEIVED);
    expect(n).toEqual({ eventId: "c1", eventType: "conversation.closed", occurredAt: RECEIVED, occurredAtFromReceipt: true, sentOccurredAt: null });
  });

  it("rejects non-objects, naming the batch index", () => {
    expect(problems([1, 2], "[4].")).toEqual([{ path: "[4]", message: "must be an object" }]);
    expect(problems("text")).toEqual([{ path: "", message: "must be an object" }]);
    expect(problems(null)).toHaveLength(1);
  });

  it("prefixes every problem path and reports all of them at once", () => {
    const list = problems({ event_type: "deployment.failure", timestamp: "soon", line: { cellphone: true } }, "[2].");
    expect(list.map((p) => p.path).sort()).toEqual(["[2].failure_reason", "[2].line.cellphone", "[2].timestamp"]);
  });

  it("reads nothing from the prototype chain", () => {
    const n = normalizeEvent({ event_type: "deployment.failure", failure_reason: "FAILURE" }, RECEIVED);
    expect(n.failure).toMatchObject({ template: null, line: null, pollId: null });
    expect(problems({ event_type: "deployment.failure", constructor: { name: "x" } }).map((p) => p.path)).toEqual([
      "failure_reason",
    ]);
    const f = failure({ hsm: { constructor: "x" }, template: "__proto__" });
    expect(f.template).toBe("__proto__");
  });
});

describe("normalizeEvent: reason", () => {
  it("accepts every alias, canonical first", () => {
    for (const alias of ["failure_reason", "reason", "failure_type", "error_code"]) {
      expect(normalizeEvent({ event_type: "deployment.failure", [alias]: "revoked" }, RECEIVED).failure?.reason).toBe("REVOKED");
    }
    const f = normalizeEvent(
      { event_type: "deployment.failure", error_code: "INVALID_PHONE", reason: "REVOKED", failure_reason: "FAILURE" },
      RECEIVED,
    ).failure;
    expect(f?.reason).toBe("FAILURE");
  });

  it("canonicalises known reasons and keeps unknown ones verbatim", () => {
    expect(failure({ failure_reason: " failure_by_tier_capacity " })).toMatchObject({ reason: "FAILURE_BY_TIER_CAPACITY", reasonKnown: true });
    expect(failure({ failure_reason: "Brand_New_Reason" })).toMatchObject({ reason: "Brand_New_Reason", reasonKnown: false });
    expect(failure({ failure_reason: 131026 })).toMatchObject({ reason: "131026", reasonKnown: false });
  });

  it("requires a reason", () => {
    for (const empty of [undefined, null, "", "   "]) {
      expect(problems({ event_type: "deployment.failure", failure_reason: empty })).toEqual([
        { path: "failure_reason", message: expect.stringMatching(/is required/) },
      ]);
    }
  });

  it("rejects a reason that is not text", () => {
    expect(problems({ event_type: "deployment.failure", reason: { code: "X" } })).toEqual([
      { path: "reason", message: "must be a string" },
    ]);
  });
});

describe("normalizeEvent: line", () => {
  it("reads `line` as a string, normalising phone-like values to +digits", () => {
    expect(failure({ line: "+57 300 111-2233" }).line).toBe("+573001112233");
    expect(failure({ line: "573001112233" }).line).toBe("+573001112233");
    expect(failure({ line: 573001112233 }).line).toBe("+573001112233");
    expect(failure({ line: "Main line" }).line).toBe("Main line");
    expect(failure({ line: "12345" }).line).toBe("12345");
  });

  it("reads `line` as an object with cellphone", () => {
    expect(failure({ line: { cellphone: "573001112233", name: "Ventas" } }).line).toBe("+573001112233");
  });

  it("reads company.cellphone, then sender", () => {
    expect(failure({ company: { cellphone: "573001112233" } }).line).toBe("+573001112233");
    expect(failure({ sender: "+573009998877" }).line).toBe("+573009998877");
    expect(failure({ sender: "+573009998877", company: { cellphone: "573001112233" } }).line).toBe("+573001112233");
  });

  it("reads a deployment_squad / tdeployment_squad session key DS_<cellphone>, as array or object", () => {
    for (const key of ["deployment_squad", "tdeployment_squad"]) {
      expect(failure({ user_session_keys: [{ key: "other", value: "x" }, { key, value: "DS_573001112233" }] }).line, key).toBe(
        "+573001112233",
      );
      expect(failure({ user_session_keys: { [key]: "DS_573001112233", other: 1 } }).line, key).toBe("+573001112233");
    }
  });

  it("prefers `line` over the other aliases", () => {
    const f = failure({
      line: "+571111111111",
      company: { cellphone: "572222222222" },
      sender: "573333333333",
      user_session_keys: { deployment_squad: "DS_574444444444" },
    });
    expect(f.line).toBe("+571111111111");
    expect(failure({ line: { name: "no cellphone" }, sender: "573333333333" }).line).toBe("+573333333333");
  });

  it("keeps looking past a squad key whose value is not DS_<cellphone>, in both forms", () => {
    const entries = [
      { key: "deployment_squad", value: "SQUAD_A" },
      { key: "tdeployment_squad", value: "DS_573001112233" },
    ];
    expect(failure({ user_session_keys: entries }).line).toBe("+573001112233");
    expect(failure({ user_session_keys: { deployment_squad: "SQUAD_A", tdeployment_squad: "DS_573001112233" } }).line).toBe(
      "+573001112233",
    );
  });

  it("ignores session keys that do not name a squad line", () => {
    expect(failure({ user_session_keys: [{ key: "deployment_squad", value: "SQUAD_A" }] }).line).toBeNull();
    expect(failure({ user_session_keys: { campaign: "DS_573001112233" } }).line).toBeNull();
  });

  it("is null when absent", () => {
    expect(failure({}).line).toBeNull();
  });
});

describe("normalizeEvent: template", () => {
  it("accepts hsm.name, hsm_name, template and template_name, in that order", () => {
    expect(failure({ hsm: { name: "a" }, hsm_name: "b", template: "c", template_name: "d" }).template).toBe("a");
    expect(failure({ hsm_name: "b", template: "c", template_name: "d" }).template).toBe("b");
    expect(failure({ template: "c", template_name: "d" }).template).toBe("c");
    expect(failure({ template_name: "d" }).template).toBe("d");
  });

  it("reads a template object's name", () => {
    expect(failure({ template: { name: "welcome", language: "es" } }).template).toBe("welcome");
  });

  it("is null when absent", () => {
    expect(failure({}).template).toBeNull();
    expect(failure({ hsm: { id: 4 } }).template).toBeNull();
  });
});

describe("normalizeEvent: contact", () => {
  it("reads user.country_code + user.cellphone and computes E.164", () => {
    expect(failure({ user: { country_code: "57", cellphone: "3051234567" } })).toMatchObject({
      countryCode: "57",
      cellphone: "3051234567",
      phoneE164: "+573051234567",
    });
  });

  it("reads top-level country_code + cellphone", () => {
    expect(failure({ country_code: "+1", cellphone: "(202) 555-0123" })).toMatchObject({
      countryCode: "1",
      cellphone: "(202) 555-0123",
      phoneE164: "+12025550123",
    });
  });

  it("does not prefix the country code twice, and honours a cellphone already in + form", () => {
    expect(failure({ country_code: "57", cellphone: "573051234567" }).phoneE164).toBe("+573051234567");
    expect(failure({ country_code: "57", cellphone: "+34 612 345 678" }).phoneE164).toBe("+34612345678");
    expect(failure({ user: { country_code: 57, cellphone: 3051234567 } }).phoneE164).toBe("+573051234567");
  });

  it("leaves E.164 null when it cannot be computed", () => {
    expect(failure({ cellphone: "3051234567" }).phoneE164).toBeNull();
    expect(failure({ country_code: "Colombia", cellphone: "3051234567" }).phoneE164).toBeNull();
    expect(failure({ country_code: "57", cellphone: "call me" }).phoneE164).toBeNull();
    expect(failure({ country_code: "57", cellphone: "12" }).phoneE164).toBeNull();
  });

  it("is null when absent", () => {
    expect(failure({})).toMatchObject({ countryCode: null, cellphone: null, phoneE164: null });
  });
});

describe("normalizeEvent: campaign", () => {
  it("reads the canonical names", () => {
    expect(failure({ poll_id: "p", deployment_id: "d", batch_id: "b", session_id: "s" })).toMatchObject({
      pollId: "p",
      deploymentId: "d",
      batchId: "b",
      sessionId: "s",
    });
  });

  it("reads the aliases", () => {
    expect(failure({ conversation_id: 77, deployment: { id: 88, batch_id: "b9" }, session: { external_id: "ext" } })).toMatchObject({
      pollId: "77",
      deploymentId: "88",
      batchId: "b9",
      sessionId: "ext",
    });
    expect(failure({ poll: { id: "p3" } }).pollId).toBe("p3");
    expect(failure({ poll_id: "p1", conversation_id: "p2", poll: { id: "p3" } }).pollId).toBe("p1");
    expect(failure({ conversation_id: "p2", poll: { id: "p3" } }).pollId).toBe("p2");
  });

  it("is null when absent", () => {
    expect(failure({})).toMatchObject({ pollId: null, deploymentId: null, batchId: null, sessionId: null });
  });
});

describe("normalizeEvent: user_session_keys", () => {
  it("keeps them as given, array or object", () => {
    const asArray = [{ key: "deployment_squad", value: "DS_573001112233" }, { key: "n", value: 1 }];
    expect(JSON.parse(failure({ user_session_keys: asArray }).userSessionKeys!)).toEqual(asArray);
    const asObject = { plan: "gold", nested: { a: [1, 2] } };
    expect(JSON.parse(failure({ user_session_keys: asObject }).userSessionKeys!)).toEqual(asObject);
    expect(failure({}).userSessionKeys).toBeNull();
  });

  it("rejects keys that are neither object nor array", () => {
    expect(problems({ failure_reason: "FAILURE", user_session_keys: "a=b" })).toEqual([
      { path: "user_session_keys", message: "must be an object or an array" },
    ]);
  });
});

describe("normalizeEvent: fields under `data`", () => {
  it("reads every field from a `data` object", () => {
    const n = normalizeEvent(
      {
        event_type: "deployment.failure",
        data: {
          event_id: "d-1",
          timestamp: 1_764_079_320,
          reason: "missing_parameter",
          company: { cellphone: "573001112233" },
          template_name: "promo",
          country_code: "57",
          cellphone: "3051234567",
          conversation_id: "c",
          deployment: { id: "d", batch_id: "b" },
          session: { external_id: "s" },
          user_session_keys: { tdeployment_squad: "DS_573001112233" },
        },
      },
      RECEIVED,
    );
    expect(n).toMatchObject({ eventId: "d-1", occurredAt: 1_764_079_320_000, occurredAtFromReceipt: false });
    expect(n.failure).toEqual({
      reason: "MISSING_PARAMETER",
      reasonKnown: true,
      line: "+573001112233",
      template: "promo",
      countryCode: "57",
      cellphone: "3051234567",
      phoneE164: "+573051234567",
      pollId: "c",
      deploymentId: "d",
      batchId: "b",
      sessionId: "s",
      userSessionKeys: '{"tdeployment_squad":"DS_573001112233"}',
    });
  });

  it("prefers a top-level value over the same field in `data`", () => {
    expect(failure({ template: "top", data: { template: "nested" } }).template).toBe("top");
  });

  it("names the `data.` path of a bad nested value", () => {
    expect(problems({ event_type: "deployment.failure", data: { failure_reason: "FAILURE", timestamp: "bad" } })).toEqual([
      { path: "data.timestamp", message: expect.any(String) },
    ]);
  });
});

describe("normalizeEvent: hsm.status", () => {
  it("records the template and its status in upper case", () => {
    const n = normalizeEvent({ event_type: "hsm.status", hsm: { name: "welcome", status: "disabled" }, timestamp: 1_764_079_320 }, RECEIVED);
    expect(n.templateStatus).toEqual({ template: "welcome", status: "DISABLED", affectedConversationIds: null });
    expect(n.failure).toBeUndefined();
    expect(normalizeEvent({ event_type: "hsm.status", template_name: "t", new_status: "Approved" }, RECEIVED).templateStatus).toEqual({
      template: "t",
      status: "APPROVED",
      affectedConversationIds: null,
    });
    expect(normalizeEvent({ event_type: "hsm.status", template: "t", status: "paused" }, RECEIVED).templateStatus?.status).toBe("PAUSED");
  });

  it("requires the template and the status", () => {
    expect(problems({ event_type: "hsm.status" }).map((p) => p.path)).toEqual(["name", "status"]);
  });

  it("reads Treble's published shape: `name`, `status` and `affected_conversation_ids`", () => {
    const n = normalizeEvent(
      { event_type: "hsm.status", event_id: "5f8d", timestamp: "2024-09-10T12:34:56.789Z", status: "APPROVED", name: "welcome_message", affected_conversation_ids: [12345, 67890] },
      RECEIVED,
    );
    expect(n.templateStatus).toEqual({ template: "welcome_message", status: "APPROVED", affectedConversationIds: "[12345,67890]" });
    expect(n.occurredAt).toBe(Date.UTC(2024, 8, 10, 12, 34, 56, 789));
  });

  it("refuses affected_conversation_ids that are not a list of ids", () => {
    expect(problems({ event_type: "hsm.status", name: "t", status: "PAUSED", affected_conversation_ids: 5 })).toEqual([
      { path: "affected_conversation_ids", message: "must be an array of conversation ids" },
    ]);
    expect(problems({ event_type: "hsm.status", name: "t", status: "PAUSED", affected_conversation_ids: [1, 2.5] })).toEqual([
      { path: "affected_conversation_ids.1", message: "must be an integer conversation id" },
    ]);
  });
});

describe("normalizeEvent: session.close", () => {
  it("reads the session, contact, line and template", () => {
    const n = normalizeEvent(
      {
        event_type: "session.close",
        event_id: "s-1",
        session: { external_id: "ext-9", closed_at: "2026-11-25 14:00:00" },
        user: { country_code: "57", cellphone: "3051234567" },
        company: { id: 7, cellphone: "573001112233" },
        hsm: { name: "welcome" },
        user_session_keys: [{ key: "plan", value: "gold" }],
        messages: [{ text: "hi" }, { text: "bye" }],
      },
      RECEIVED,
    );
    expect(n.sessionClose).toEqual({
      externalId: "ext-9",
      closedAt: Date.UTC(2026, 10, 25, 14, 0, 0),
      line: "+573001112233",
      template: "welcome",
      countryCode: "57",
      cellphone: "3051234567",
      phoneE164: "+573051234567",
      messageCount: 2,
    });
  });

  it("falls back to the event time and accepts a session without template (hsm null)", () => {
    const n = normalizeEvent({ event_type: "session.close", timestamp: "2026-11-25T13:00:00Z", hsm: null, session: { external_id: 5 } }, RECEIVED);
    expect(n.sessionClose).toMatchObject({ externalId: "5", closedAt: Date.UTC(2026, 10, 25, 13), template: null, line: null, messageCount: null });
  });

  it("reports a bad closed_at or messages", () => {
    expect(problems({ event_type: "session.close", session: { closed_at: "later" }, messages: "x" }).map((p) => p.path)).toEqual([
      "session.closed_at",
      "messages",
    ]);
  });
});

describe("normalizeEvent: clock skew", () => {
  it("keeps an event time up to 10 minutes after receipt", () => {
    const n = normalizeEvent({ event_type: "deployment.failure", failure_reason: "FAILURE", timestamp: RECEIVED + 600_000 }, RECEIVED);
    expect(n).toMatchObject({ occurredAt: RECEIVED + 600_000, sentOccurredAt: null });
  });

  it("replaces a later one by the receipt time and keeps the sent value", () => {
    const n = normalizeEvent({ event_type: "deployment.failure", failure_reason: "FAILURE", timestamp: RECEIVED + 600_001 }, RECEIVED);
    expect(n).toMatchObject({ occurredAt: RECEIVED, occurredAtFromReceipt: false, sentOccurredAt: RECEIVED + 600_001 });
  });
});

describe("normalizeEvent: field mapping", () => {
  const mapping = { ...EMPTY_FIELD_MAPPING, reason: ["status", "data.error.code"], line: ["from.number"], eventId: ["meta.id"], timestamp: ["meta.at"], contact: ["to.0.phone"], countryCode: ["to.0.cc"], template: ["tpl.id"] };

  it("tries the mapped paths before the built-in names, from the event's root", () => {
    const event = {
      event_type: "deployment.failure",
      failure_reason: "FAILURE",
      status: "invalid_phone",
      from: { number: "573001112233" },
      meta: { id: "m-1", at: "2026-11-25T14:02:00Z" },
      to: [{ phone: "3051234567", cc: "57" }],
      tpl: { id: "promo" },
    };
    const n = normalizeEvent(event, RECEIVED, "", mapping);
    expect(n).toMatchObject({ eventId: "m-1", occurredAt: Date.UTC(2026, 10, 25, 14, 2) });
    expect(n.failure).toMatchObject({ reason: "INVALID_PHONE", line: "+573001112233", template: "promo", phoneE164: "+573051234567" });
  });

  it("falls back to the next path and then to the built-in names", () => {
    expect(normalizeEvent({ data: { error: { code: "revoked" } } }, RECEIVED, "", mapping).failure?.reason).toBe("REVOKED");
    expect(normalizeEvent({ reason: "revoked" }, RECEIVED, "", mapping).failure?.reason).toBe("REVOKED");
  });

  it("lets a mapped reason identify a deployment.failure without envelope", () => {
    expect(normalizeEvent({ status: "FAILURE" }, RECEIVED, "", mapping).eventType).toBe("deployment.failure");
    expect(problems({ status: "FAILURE" })).toEqual([{ path: "event_type", message: "is required" }]);
  });
});

describe("normalizeEvent: length limits", () => {
  const long = (n: number) => "x".repeat(n);
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["event_id", { event_id: long(FIELD_MAX_LENGTH.event_id + 1) }, "event_id"],
    ["event_type", { event_type: long(FIELD_MAX_LENGTH.event_type + 1) }, "event_type"],
    ["reason", { failure_reason: long(FIELD_MAX_LENGTH.reason + 1) }, "failure_reason"],
    ["line", { line: long(FIELD_MAX_LENGTH.line + 1) }, "line"],
    ["line object", { line: { cellphone: long(FIELD_MAX_LENGTH.line + 1) } }, "line.cellphone"],
    ["sender", { sender: long(FIELD_MAX_LENGTH.line + 1) }, "sender"],
    ["template", { hsm: { name: long(FIELD_MAX_LENGTH.template + 1) } }, "hsm.name"],
    ["country_code", { country_code: long(FIELD_MAX_LENGTH.country_code + 1), cellphone: "1" }, "country_code"],
    ["cellphone", { user: { cellphone: long(FIELD_MAX_LENGTH.cellphone + 1) } }, "user.cellphone"],
    ["poll_id", { poll_id: long(FIELD_MAX_LENGTH.campaign_id + 1) }, "poll_id"],
    ["deployment.id", { deployment: { id: long(FIELD_MAX_LENGTH.campaign_id + 1) } }, "deployment.id"],
    ["batch_id", { batch_id: long(FIELD_MAX_LENGTH.campaign_id + 1) }, "batch_id"],
    ["session_id", { session_id: long(FIELD_MAX_LENGTH.campaign_id + 1) }, "session_id"],
    ["user_session_keys", { user_session_keys: { k: long(FIELD_MAX_LENGTH.user_session_keys) } }, "user_session_keys"],
  ];

  it.each(cases)("rejects an over-long %s", (_name, fields, path) => {
    const event = { failure_reason: "FAILURE", ...fields };
    expect(problems(event).map((p) => p.path)).toContain(path);
  });

  it("accepts values exactly at the limit", () => {
    const f = failure({
      event_id: long(FIELD_MAX_LENGTH.event_id),
      failure_reason: long(FIELD_MAX_LENGTH.reason),
      line: long(FIELD_MAX_LENGTH.line),
      template: long(FIELD_MAX_LENGTH.template),
      poll_id: long(FIELD_MAX_LENGTH.campaign_id),
    });
    expect(f.template).toHaveLength(FIELD_MAX_LENGTH.template);
  });

  it("rejects an over-long hsm.status status", () => {
    expect(problems({ event_type: "hsm.status", template: "t", status: long(FIELD_MAX_LENGTH.status + 1) }).map((p) => p.path)).toContain(
      "status",
    );
  });

  it("rejects NUL characters", () => {
    expect(problems({ failure_reason: "FAILURE", template: "a\u0000b" })).toEqual([
      { path: "template", message: "must not contain NUL characters" },
    ]);
  });
});
