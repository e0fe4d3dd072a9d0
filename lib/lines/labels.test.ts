import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getEngine } from "@/db/client";
import { PgEngine } from "@/db/pg/engine";
import { InvalidInputError } from "@/lib/http/errors";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { lineLabels, listLineLabels, setLineLabel } from "./labels";

const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());

const by = { actor: { id: "u1", email: "op@test.example" }, ip: "10.0.0.1" };
const AT = Date.parse("2026-11-25T10:00:00Z");

const auditRows = () =>
  getEngine().query("SELECT actor_email AS actor, target, detail, ip, at FROM audit_log WHERE action = 'line_label_changed' ORDER BY id");

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe.each(ENGINES)("line labels on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);

  beforeEach(async () => {
    // Through the verb, so the cache follows; then the audit rows it wrote.
    for (const { line } of (await listLineLabels()).items) await setLineLabel(line, { label: null }, by);
    await getEngine().exec("DELETE FROM audit_log");
  });

  it("names a line under the key ingest stores, renames it, removes it, and audits each change with the old and new names", async () => {
    expect(await setLineLabel("57 300 111 0002", { label: "  Cobranza  " }, by, AT)).toEqual({ line: "+573001110002", label: "Cobranza" });
    expect(await setLineLabel("+573001110002", { label: "Cobranza CO" }, by, AT + 1)).toEqual({ line: "+573001110002", label: "Cobranza CO" });
    expect(await getEngine().query("SELECT line, label, updated_at FROM line_labels")).toEqual([{ line: "+573001110002", label: "Cobranza CO", updated_at: AT + 1 }]);
    expect(await setLineLabel("+573001110002", { label: null }, by, AT + 2)).toEqual({ line: "+573001110002", label: null });
    expect(await getEngine().query("SELECT line FROM line_labels")).toEqual([]);
    expect(await auditRows()).toEqual([
      { actor: "op@test.example", target: "+573001110002", detail: '(none) → "Cobranza"', ip: "10.0.0.1", at: AT },
      { actor: "op@test.example", target: "+573001110002", detail: '"Cobranza" → "Cobranza CO"', ip: "10.0.0.1", at: AT + 1 },
      { actor: "op@test.example", target: "+573001110002", detail: '"Cobranza CO" → (none)', ip: "10.0.0.1", at: AT + 2 },
    ]);
  });

  it("lists every labelled line by line, and the map follows each rename at once", async () => {
    await setLineLabel("+573001110002", { label: "B" }, by, AT);
    await setLineLabel("+14155550100", { label: "A" }, by, AT + 1);
    expect(await listLineLabels()).toEqual({
      items: [
        { line: "+14155550100", label: "A", updatedAt: "2026-11-25T10:00:00.001Z" },
        { line: "+573001110002", label: "B", updatedAt: "2026-11-25T10:00:00.000Z" },
      ],
    });
    await setLineLabel("+14155550100", { label: "A2" }, by, AT + 2);
    expect([...(await lineLabels())]).toEqual([
      ["+14155550100", "A2"],
      ["+573001110002", "B"],
    ]);
  });

  it("serves reads from memory, and takes a rename made on another instance within a second, no caller waiting for it", async () => {
    await setLineLabel("+573001110002", { label: "Cobranza" }, by, AT);
    await getEngine().exec("INSERT INTO line_labels (line, label, updated_at) VALUES (?, ?, ?)", ["+14155550100", "US", AT]);
    expect((await lineLabels(AT + 999)).has("+14155550100")).toBe(false);
    // A second on, the answer still comes from memory, and a re-read starts in the background.
    expect((await lineLabels(AT + 1000)).has("+14155550100")).toBe(false);
    await vi.waitFor(async () => expect((await lineLabels(AT + 1000)).get("+14155550100")).toBe("US"));
    expect((await listLineLabels(AT + 1000)).items.map((i) => i.label)).toEqual(["US", "Cobranza"]);
  });

  it("audits renames of one line made at once each with the name it replaced (on PostgreSQL the losers of a conflict run again)", async () => {
    const labels = Array.from({ length: 6 }, (_, i) => `Name ${i}`);
    const db = getEngine();
    const retriesBefore = db instanceof PgEngine ? db.retries : 0;
    // Warm connections, so the renames start together rather than one per new connection.
    await Promise.all(labels.map(() => db.query("SELECT 1 AS one")));
    await Promise.all(labels.map((label, i) => setLineLabel("+573001110002", { label }, by, AT + i)));
    // The audit entries form one chain from "(none)" through every name, ending at the stored one.
    const next = new Map((await auditRows()).map((r) => (r.detail as string).split(" → ") as [string, string]));
    expect(next.size).toBe(labels.length);
    const chain: string[] = [];
    for (let name = next.get("(none)"); name !== undefined; name = next.get(name)) chain.push(JSON.parse(name) as string);
    expect(chain.toSorted()).toEqual(labels);
    expect((await lineLabels()).get("+573001110002")).toBe(chain.at(-1));
    expect(await getEngine().one("SELECT label FROM line_labels")).toEqual({ label: chain.at(-1) });
    if (db instanceof PgEngine) expect(db.retries).toBeGreaterThan(retriesBefore);
  });

  it("refuses empty, blank, too long, control-character and missing labels with 400, changing nothing", async () => {
    await setLineLabel("+573001110002", { label: "Cobranza" }, by, AT);
    for (const body of [{ label: "" }, { label: "   " }, { label: "x".repeat(61) }, { label: "a\u0007b" }, {}, { label: 5 }]) {
      const err = await rejection(setLineLabel("+573001110002", body, by, AT + 1));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).details?.[0]?.path).toBe("label");
    }
    expect(await rejection(setLineLabel("  ", { label: "x" }, by))).toBeInstanceOf(InvalidInputError);
    expect(await getEngine().query("SELECT line, label FROM line_labels")).toEqual([{ line: "+573001110002", label: "Cobranza" }]);
    expect(await auditRows()).toHaveLength(1);
    expect(await setLineLabel("+573001110002", { label: "x".repeat(60) }, by, AT + 2)).toEqual({ line: "+573001110002", label: "x".repeat(60) });
  });
});
