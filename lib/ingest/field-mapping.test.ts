import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getEngine } from "@/db/client";
import { InvalidInputError } from "@/lib/http/errors";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { EMPTY_FIELD_MAPPING, fieldMapping, readFieldMapping, replaceFieldMapping } from "./field-mapping";

const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());

const by = { actor: { id: "u1", email: "admin@test.example" }, ip: "10.0.0.7" };
const AT = Date.parse("2026-12-02T10:00:00Z");

const audit = () => getEngine().query<{ actor_email: string; detail: string; ip: string; at: number }>("SELECT actor_email, detail, ip, at FROM audit_log WHERE action = 'field_mapping_changed' ORDER BY id");
const stored = async () => (await getEngine().one<{ value: string; updated_at: number }>("SELECT value, updated_at FROM settings WHERE key = 'field_mapping'"));

describe.each(ENGINES)("field mapping on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await getEngine().exec("DELETE FROM settings");
    await getEngine().exec("DELETE FROM audit_log");
    await readFieldMapping(); // as at start: the webhook's cache holds this engine's (empty) mapping
  });

  it("is empty until set; a replacement round-trips (trimmed, each path once), is audited, and reaches the webhook's cache", async () => {
    expect(await readFieldMapping()).toEqual(EMPTY_FIELD_MAPPING);
    expect(fieldMapping()).toEqual(EMPTY_FIELD_MAPPING);

    const saved = await replaceFieldMapping({ reason: [" data.error.code ", "data.error.code", "errors.0.code"], line: ["meta.line"] }, by, AT);
    const expected = { ...EMPTY_FIELD_MAPPING, reason: ["data.error.code", "errors.0.code"], line: ["meta.line"] };
    expect(saved).toEqual(expected);
    expect(await readFieldMapping()).toEqual(expected);
    expect(fieldMapping()).toEqual(expected);
    expect((await stored())?.updated_at).toBe(AT);

    // Keys left out are cleared (PUT semantics).
    expect(await replaceFieldMapping({}, by, AT + 1)).toEqual(EMPTY_FIELD_MAPPING);
    expect(fieldMapping()).toEqual(EMPTY_FIELD_MAPPING);
    expect(await audit()).toEqual([
      { actor_email: "admin@test.example", detail: "reason: data.error.code, errors.0.code; line: meta.line", ip: "10.0.0.7", at: AT },
      { actor_email: "admin@test.example", detail: "cleared", ip: "10.0.0.7", at: AT + 1 },
    ]);
  });

  it("refuses bad paths and unknown keys with 400 invalid_input naming the key, writing nothing", async () => {
    await replaceFieldMapping({ reason: ["status"] }, by, AT);
    const cases: Array<[unknown, string]> = [
      [{ reason: ["a b"] }, "reason.0"],
      [{ reason: ["data..code"] }, "reason.0"],
      [{ reason: "status" }, "reason"],
      [{ failure_reason: ["a"] }, "failure_reason"],
    ];
    for (const [input, path] of cases) {
      const refused = replaceFieldMapping(input, by, AT + 1);
      await expect(refused, JSON.stringify(input)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(refused).rejects.toMatchObject({ code: "invalid_input", details: [expect.objectContaining({ path })] });
    }
    expect((await readFieldMapping()).reason).toEqual(["status"]);
    expect(fieldMapping().reason).toEqual(["status"]);
    expect(await audit()).toHaveLength(1);
  });

  it("takes a change made on another instance within a second, the webhook never waiting for it; a stored value that no longer validates counts as empty", async () => {
    await replaceFieldMapping({ reason: ["status"] }, by, AT);
    await getEngine().exec("UPDATE settings SET value = ? WHERE key = 'field_mapping'", [JSON.stringify({ reason: ["outcome.code"] })]);
    expect(fieldMapping(AT + 999).reason).toEqual(["status"]);
    // A second on, the webhook still reads memory, and a re-read starts in the background.
    expect(fieldMapping(AT + 1000).reason).toEqual(["status"]);
    await vi.waitFor(() => expect(fieldMapping(AT + 1000).reason).toEqual(["outcome.code"]));
    expect((await readFieldMapping()).reason).toEqual(["outcome.code"]);

    await getEngine().exec("UPDATE settings SET value = ? WHERE key = 'field_mapping'", [JSON.stringify({ reason: ["has space"] })]);
    expect(await readFieldMapping()).toEqual(EMPTY_FIELD_MAPPING);
  });
});
