import { z } from "zod";
import { getEngine } from "@/db/client";
import { NotFoundError } from "@/lib/http/errors";
import { incidentIdSchema, type IncidentActivityItem } from "@/lib/queries/incidents";
import { parseInput } from "@/lib/validate";
import { appendIncidentActivity, type ActingUser } from "./apply";

const inputSchema = z.object({
  id: incidentIdSchema,
  text: z
    .string({ message: "must be a string of 1–2000 characters" })
    .trim()
    .min(1, "must not be empty")
    .max(2000, "must be at most 2000 characters"),
});

/** Body {"text"} → the new activity entry (`commented`, with the text), shown in the incident's activity log. */
export async function commentOnIncident(id: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentActivityItem> {
  const input = parseInput(inputSchema, { id, text: (body as { text?: unknown } | null)?.text });
  return getEngine().transaction(async (tx) => {
    if (!(await tx.one("SELECT id FROM incidents WHERE id = ?", [input.id]))) throw new NotFoundError(`No incident with id ${input.id}.`);
    const activityId = await appendIncidentActivity(tx, input.id, { action: "commented", audit: "incident_commented", note: input.text }, by, now);
    return { id: activityId, at: new Date(now).toISOString(), actor: by.actor.email, action: "commented" as const, note: input.text, failureId: null };
  });
}
