import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Engine } from "@/db/engine";
import { appendAudit } from "@/lib/auth/audit";
import type { ActingUser } from "@/lib/incidents/apply";
import { FIELD_MAX_LENGTH } from "@/lib/ingest/limits";
import { normalizeLine } from "./line-key";
import type { Facets } from "@/lib/queries/facets";
import type { Stats } from "@/lib/queries/stats";
import { SharedCache } from "@/lib/shared-cache";
import { all, type Steps } from "@/db/steps";
import { parseInput } from "@/lib/validate";

/** Longest label, in characters (after trimming). */
export const LINE_LABEL_MAX_LENGTH = 60;

export interface LineLabelItem {
  line: string;
  label: string;
  /** ISO 8601 UTC. */
  updatedAt: string;
}

/** line → label, for every labelled line. */
export type LineLabelMap = ReadonlyMap<string, string>;

interface Labels {
  items: LineLabelItem[];
  map: LineLabelMap;
}

/** Reads every label (a few rows at most: one per sending line). */
async function load(engine: Engine): Promise<Labels> {
  const rows = await engine.query<{ line: string; label: string; updated_at: number }>("SELECT line, label, updated_at FROM line_labels");
  // Sorted here, by code unit, so both engines list them alike whatever the database's collation.
  const items = rows
    .map((r) => ({ line: r.line, label: r.label, updatedAt: new Date(r.updated_at).toISOString() }))
    .sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  return { items, map: new Map(items.map((i) => [i.line, i.label])) };
}

/**
 * Every label, kept in memory: reloaded on every rename through this process, and re-read in the
 * background when older than a second (a rename on another instance). For this thread's own
 * answers (GET /api/lines, the labels seeded into pages, alerts); reads in workers label from
 * their own snapshot instead (labelsInSnapshot), since a rename here cannot reach a worker's memory.
 */
const labelsCache = new SharedCache<Labels>("lineLabels", load);

/** line → label for every labelled line. */
export async function lineLabels(now = Date.now()): Promise<LineLabelMap> {
  return (await labelsCache.get(now)).map;
}

/** Every labelled line, by line (GET /api/lines). */
export async function listLineLabels(now = Date.now()): Promise<{ items: LineLabelItem[] }> {
  return { items: (await labelsCache.get(now)).items };
}

const inputSchema = z.object({
  line: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(FIELD_MAX_LENGTH.line, `must be at most ${FIELD_MAX_LENGTH.line} characters`)
    // The same key ingest stores: "+57 310 456 7890" and "573104567890" name the line "+573104567890".
    .transform(normalizeLine),
  label: z
    .string({ message: `must be a string of 1–${LINE_LABEL_MAX_LENGTH} characters, or null` })
    .trim()
    .min(1, "must not be empty (send null to remove the label)")
    .max(LINE_LABEL_MAX_LENGTH, `must be at most ${LINE_LABEL_MAX_LENGTH} characters`)
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "must not contain control characters")
    .nullable(),
});

/**
 * Names a line (body {"label": "…"}) or removes its name ({"label": null}). Answers the line as
 * stored and its label now; the change is audited with the old and new names.
 */
export async function setLineLabel(line: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<{ line: string; label: string | null }> {
  const hasLabel = typeof body === "object" && body !== null && "label" in body;
  const input = parseInput(inputSchema, { line, label: hasLabel ? (body as { label: unknown }).label : undefined });
  const engine = getEngine();
  // Serializable: two renames of one line at once are audited each with the name it replaced.
  await engine.transaction(
    async (tx) => {
      const before = await tx.one<{ label: string }>("SELECT label FROM line_labels WHERE line = ?", [input.line]);
      if (input.label === null) await tx.exec("DELETE FROM line_labels WHERE line = ?", [input.line]);
      else {
        await tx.exec("INSERT INTO line_labels (line, label, updated_at) VALUES (?, ?, ?) ON CONFLICT (line) DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at", [
          input.line,
          input.label,
          now,
        ]);
      }
      const detail = `${before === undefined ? "(none)" : JSON.stringify(before.label)} → ${input.label === null ? "(none)" : JSON.stringify(input.label)}`;
      await appendAudit(tx, { actor: by.actor, action: "line_label_changed", target: input.line, detail, ip: by.ip, at: now });
    },
    { isolation: "serializable" },
  );
  labelsCache.changed();
  await labelsCache.read(now);
  return { line: input.line, label: input.label };
}

/** /api/stats as served: each `byLine` item carries its line's label. */
export type LabelledStats = Omit<Stats, "byLine"> & { byLine: Array<Stats["byLine"][number] & { label: string | null }> };

/** /api/facets as served: each line carries its label. */
export type LabelledFacets = Omit<Facets, "lines"> & { lines: Array<Facets["lines"][number] & { label: string | null }> };

/** The label map read in a read's own snapshot: one query for all its rows. */
export function* labelsInSnapshot(): Steps<LineLabelMap> {
  const rows = yield* all<{ line: string; label: string }>("SELECT line, label FROM line_labels", []);
  return new Map(rows.map((r) => [r.line, r.label]));
}

/** Each item with `label` beside its `line` (null when the line has none). */
function withLabels<T extends { line: string | null }>(items: readonly T[], labels: LineLabelMap): Array<T & { label: string | null }> {
  return items.map((item) => ({ ...item, label: item.line ? (labels.get(item.line) ?? null) : null }));
}

// Labelled inside the read, from the labels table read in the same snapshot (a handful of rows):
// whichever worker or instance serves the next read, it shows a rename made anywhere.
export function* labelStats(stats: Stats): Steps<LabelledStats> {
  return { ...stats, byLine: withLabels(stats.byLine, yield* labelsInSnapshot()) };
}
export function* labelFacets(facets: Facets): Steps<LabelledFacets> {
  return { ...facets, lines: withLabels(facets.lines, yield* labelsInSnapshot()) };
}
