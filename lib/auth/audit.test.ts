import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import { InvalidInputError } from "@/lib/http/errors";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { appendAudit, listAudit, SYSTEM_ACTOR } from "./audit";
import { pruneAuthRecords } from "./prune";

const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());

const AT = Date.parse("2026-11-25T10:00:00Z");
const alice = { id: "u1", email: "alice@test.example" };

describe.each(ENGINES)("audit log on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await getEngine().exec("DELETE FROM audit_log");
    await getEngine().exec("DELETE FROM settings");
  });

  it("commits an entry with the change it records, and neither when the transaction fails", async () => {
    await getEngine().transaction(async (tx) => {
      await tx.exec("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", ["k", "1", AT]);
      await appendAudit(tx, { actor: alice, action: "incident_settings_changed", target: "incident settings", detail: "k = 1", ip: "10.0.0.1", at: AT });
    });
    const failed = getEngine().transaction(async (tx) => {
      await tx.exec("UPDATE settings SET value = ? WHERE key = ?", ["2", "k"]);
      await appendAudit(tx, { actor: alice, action: "incident_settings_changed", detail: "k = 2", ip: null, at: AT + 1 });
      throw new Error("refused after writing");
    });
    await expect(failed).rejects.toThrow("refused after writing");
    expect(await getEngine().query("SELECT value FROM settings")).toEqual([{ value: "1" }]);
    expect(await listAudit({})).toEqual({
      items: [
        {
          id: expect.any(Number),
          at: "2026-11-25T10:00:00.000Z",
          actorEmail: "alice@test.example",
          action: "incident_settings_changed",
          actionLabel: "Changed the incident settings",
          target: "incident settings",
          detail: "k = 1",
          ip: "10.0.0.1",
        },
      ],
      nextBefore: null,
    });
  });

  it("lists newest first, a page at a time, until the last page", async () => {
    for (let i = 0; i < 5; i++) await appendAudit(getEngine(), { actor: i % 2 ? alice : SYSTEM_ACTOR, action: "token_created", target: `token #${i}`, at: AT + i });
    const first = await listAudit({ limit: "2" });
    expect(first.items.map((i) => i.target)).toEqual(["token #4", "token #3"]);
    expect(first.items.map((i) => i.actorEmail)).toEqual([null, "alice@test.example"]);
    const second = await listAudit({ limit: "2", before: String(first.nextBefore) });
    expect(second.items.map((i) => i.target)).toEqual(["token #2", "token #1"]);
    const last = await listAudit({ limit: "2", before: String(second.nextBefore) });
    expect(last).toMatchObject({ items: [{ target: "token #0", detail: null, ip: null }], nextBefore: null });
  });

  it("refuses a limit out of 1–500 or a non-numeric cursor with 400", async () => {
    for (const params of [{ limit: "0" }, { limit: "501" }, { before: "abc" }]) {
      await expect(listAudit(params)).rejects.toBeInstanceOf(InvalidInputError);
    }
  });

  it("prunes entries older than the retention and throttle records that ran out (auth pruning)", async () => {
    const DAY = 86_400_000;
    for (const at of [AT - 31 * DAY, AT - 29 * DAY, AT]) await appendAudit(getEngine(), { actor: alice, action: "sign_in", ip: null, at });
    await getEngine().exec("DELETE FROM sign_in_throttle");
    await getEngine().exec("INSERT INTO sign_in_throttle (key, failures, window_start, locked_until) VALUES ('ip:a', 1, ?, NULL), ('ip:b', 0, ?, ?)", [AT - DAY, AT - DAY, AT + DAY]);
    expect(await pruneAuthRecords(AT, 30)).toEqual({ auditEntries: 1, throttleRecords: 1 });
    expect((await listAudit({})).items).toHaveLength(2);
    expect(await getEngine().query("SELECT key FROM sign_in_throttle")).toEqual([{ key: "ip:b" }]);
  });
});
