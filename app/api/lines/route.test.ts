import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { inSnapshot } from "@/db/snapshot";
import { labelsInSnapshot } from "@/lib/lines/labels";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DAY, loadFailureDatasetTo } from "@/lib/testing/failure-dataset";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { expectError, type WebhookAnswer } from "@/lib/testing/webhook-client";
import { GET as getLines } from "./route";
import { PUT } from "./[line]/label/route";

// The first read starts a worker that compiles its module in tests (not in production): on a
// loaded machine that alone ran past the default 10 s deadline, which this file does not test.
const databases = setupEngineDatabases({ QUERY_TIMEOUT_MS: "60000", LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const NOW = Date.now();
// Each engine's database has its own users, made in its describe's beforeAll.
const users = {} as Record<"viewer" | "operator" | "admin", TestUser>;

type Answer = WebhookAnswer;
/** Status and body only, to compare whole answers. */
const plain = (answer: Answer) => ({ status: answer.status, json: answer.json });

/** PUT /api/lines/{line}/label as Next calls it: the segment arrives percent-decoded. */
async function putLabel(line: string, body: unknown, headers: Record<string, string> = users.operator.headers): Promise<Answer> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const response = await PUT(
    new Request(`http://localhost:3000/api/lines/${encodeURIComponent(line)}/label`, { method: "PUT", headers: { "content-type": "application/json", ...headers }, body: text }),
    { params: Promise.resolve({ line }) },
  );
  return { status: response.status, headers: response.headers, json: await response.json() };
}

async function getJson(path: string, headers: Record<string, string> = users.viewer.headers): Promise<Answer> {
  const modules: Record<string, () => Promise<{ GET: (request: Request) => Promise<Response> }>> = {
    stats: () => import("@/app/api/stats/route"),
    facets: () => import("@/app/api/facets/route"),
    failures: () => import("@/app/api/failures/export/route"),
    incidents: () => import("@/app/api/incidents/export/route"),
  };
  const name = path.split("?")[0]!.split("/")[2]!;
  const { GET } = await modules[name]!();
  const response = await GET(new Request(`http://localhost:3000${path}`, { headers }));
  return { status: response.status, headers: response.headers, json: response.headers.get("content-type")?.startsWith("text/csv") ? await response.text() : await response.json() };
}

describe.each(ENGINES)("line labels on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
    for (const role of ["viewer", "operator", "admin"] as const) users[role] = await createTestUser(role);
    await loadFailureDatasetTo(engine, { now: NOW, seed: 5, count: 600 });
  }, CLUSTER_START_TIMEOUT_MS);

  /** The label stored for a line now (read from the database, not from any cache). */
  const storedLabel = async (line: string | null) => (line ? ((await inSnapshot(engine, () => labelsInSnapshot())).get(line) ?? null) : null);

  const auditRows = () =>
    engine.query<{ actor: string; target: string; detail: string }>("SELECT actor_email AS actor, target, detail FROM audit_log WHERE action = 'line_label_changed' ORDER BY id");

  describe("PUT /api/lines/{line}/label", () => {
    it("answers 401 without credentials and 403 to a viewer, changing nothing", async () => {
      expectError(await putLabel(DATASET_LINES[0], { label: "Ventas CO" }, {}), 401, "unauthorized");
      expectError(await putLabel(DATASET_LINES[0], { label: "Ventas CO" }, users.viewer.headers), 403, "forbidden");
      expect(await storedLabel(DATASET_LINES[0])).toBeNull();
      expect(await auditRows()).toEqual([]);
    });

    it("names a line (trimmed), renames it, and audits who did it", async () => {
      expect(plain(await putLabel(DATASET_LINES[0], { label: "  Ventas CO  " }))).toEqual({ status: 200, json: { line: DATASET_LINES[0], label: "Ventas CO" } });
      expect(plain(await putLabel(DATASET_LINES[0], { label: "Ventas Colombia" }, users.admin.headers))).toEqual({ status: 200, json: { line: DATASET_LINES[0], label: "Ventas Colombia" } });
      expect(await storedLabel(DATASET_LINES[0])).toBe("Ventas Colombia");
      expect(await auditRows()).toEqual([
        { actor: users.operator.user.email, target: DATASET_LINES[0], detail: '(none) → "Ventas CO"' },
        { actor: users.admin.user.email, target: DATASET_LINES[0], detail: '"Ventas CO" → "Ventas Colombia"' },
      ]);
    });

    it("keys the label by the line as failures store it, however the number is written", async () => {
      const answer = await putLabel("57 300 111 0002", { label: "Cobranza" });
      expect(plain(answer)).toEqual({ status: 200, json: { line: "+573001110002", label: "Cobranza" } });
      expect(await storedLabel("+573001110002")).toBe("Cobranza");
    });

    it("accepts 60 characters and refuses more, empty, blank, missing or non-string labels with 400", async () => {
      const sixty = "Línea de cobranza — Bogotá, Medellín y Cali (principal) ñ".padEnd(60, "x");
      expect(sixty).toHaveLength(60);
      expect((await putLabel(DATASET_LINES[2], { label: sixty })).json).toEqual({ line: DATASET_LINES[2], label: sixty });
      for (const body of [{ label: `${sixty}y` }, { label: "" }, { label: "   " }, {}, { label: 42 }, { label: ["x"] }, { label: "a\u0000b" }]) {
        const error = expectError(await putLabel(DATASET_LINES[2], body), 400, "invalid_input");
        expect(error.details?.[0]?.path).toBe("label");
      }
      expectError(await putLabel(DATASET_LINES[2], "not json"), 400, "invalid_json");
      expectError(await putLabel("   ", { label: "x" }), 400, "invalid_input");
      expect(await storedLabel(DATASET_LINES[2])).toBe(sixty);
    });

    it("clears a label with null (and clearing an unnamed line is harmless)", async () => {
      await putLabel(DATASET_LINES[3], { label: "Soporte MX" });
      expect(plain(await putLabel(DATASET_LINES[3], { label: null }))).toEqual({ status: 200, json: { line: DATASET_LINES[3], label: null } });
      expect(await storedLabel(DATASET_LINES[3])).toBeNull();
      expect(plain(await putLabel(DATASET_LINES[3], { label: null }))).toEqual({ status: 200, json: { line: DATASET_LINES[3], label: null } });
      expect((await auditRows()).slice(-2).map((r) => r.detail)).toEqual(['"Soporte MX" → (none)', "(none) → (none)"]);
    });
  });

  describe("GET /api/lines", () => {
    it("lists every labelled line to any signed-in user", async () => {
      const anonymous = await getLines(new Request("http://localhost:3000/api/lines"));
      expectError({ status: anonymous.status, headers: anonymous.headers, json: await anonymous.json() }, 401, "unauthorized");
      const response = await getLines(new Request("http://localhost:3000/api/lines", { headers: users.viewer.headers }));
      expect(response.status).toBe(200);
      const body = (await response.json()) as { items: Array<{ line: string; label: string; updatedAt: string }> };
      expect(body.items.map((i) => [i.line, i.label])).toEqual([
        [DATASET_LINES[0], "Ventas Colombia"],
        ["+573001110002", "Cobranza"],
        [DATASET_LINES[2], await storedLabel(DATASET_LINES[2])],
      ]);
      for (const item of body.items) expect(Date.parse(item.updatedAt)).toBeGreaterThan(NOW - DAY);
    });
  });

  describe("labels where lines are served", () => {
    const window = `from=${new Date(NOW - 100 * DAY).toISOString()}&to=${new Date(NOW + 1000).toISOString()}`;

    it("/api/stats byLine and /api/facets lines carry label, null when none", async () => {
      const stats = (await getJson(`/api/stats?${window}`)).json as { byLine: Array<{ line: string | null; label: string | null }> };
      expect(stats.byLine.length).toBeGreaterThan(3);
      for (const item of stats.byLine) expect(item).toHaveProperty("label", await storedLabel(item.line));
      expect(stats.byLine.find((i) => i.line === DATASET_LINES[0])?.label).toBe("Ventas Colombia");
      expect(stats.byLine.find((i) => i.line === DATASET_LINES[4])?.label).toBeNull();
      const facets = (await getJson(`/api/facets?${window}`)).json as { lines: Array<{ line: string | null; label: string | null }> };
      for (const item of facets.lines) expect(item).toHaveProperty("label", await storedLabel(item.line));
      expect(facets.lines.find((i) => i.line === "+573001110002")?.label).toBe("Cobranza");
    });

    /** The label of DATASET_LINES[4] in six stats and facets answers asked at once (two per user, the per-user cap). */
    async function labelsOnEveryWorker(): Promise<Array<string | null | undefined>> {
      const reads = Object.values(users).flatMap((user) => [
        getJson(`/api/stats?${window}`, user.headers).then((a) => (a.json as { byLine: Array<{ line: string | null; label: string | null }> }).byLine),
        getJson(`/api/facets?${window}`, user.headers).then((a) => (a.json as { lines: Array<{ line: string | null; label: string | null }> }).lines),
      ]);
      return (await Promise.all(reads)).map((items) => items.find((i) => i.line === DATASET_LINES[4])?.label);
    }

    it("a rename shows on the next read, whichever read worker serves it", async () => {
      // More reads at once than read workers (READ_WORKERS, 3 by default), so workers are reused
      // across the rename: one keeping labels from before it would answer the old name.
      expect(await labelsOnEveryWorker()).toEqual(Array(6).fill(null));
      expect((await putLabel(DATASET_LINES[4], { label: "Argentina" })).status).toBe(200);
      expect(await labelsOnEveryWorker()).toEqual(Array(6).fill("Argentina"));
      expect((await putLabel(DATASET_LINES[4], { label: "Argentina Sur" })).status).toBe(200);
      expect(await labelsOnEveryWorker()).toEqual(Array(6).fill("Argentina Sur"));
      expect((await putLabel(DATASET_LINES[4], { label: null })).status).toBe(200);
      expect(await labelsOnEveryWorker()).toEqual(Array(6).fill(null));
    });

    it("CSV exports end with line_label", async () => {
      for (const path of [`/api/failures/export?${window}&line=${encodeURIComponent(DATASET_LINES[0])}`, `/api/incidents/export?${window}&status=open,acknowledged,resolved,snoozed,ignored&line=${encodeURIComponent(DATASET_LINES[0])}`]) {
        const answer = await getJson(path, users.operator.headers);
        expect(answer.status).toBe(200);
        const [header, ...rows] = parse(answer.json as string) as string[][];
        expect(header!.at(-1)).toBe("line_label");
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expect(row.at(-1)).toBe("Ventas Colombia");
      }
    });
  });
});
