-- Edited after drizzle-kit generate: the cube's rows get the incident of their (reason, line,
-- template), which a status filter tests against its incidents' ids (db/schema.ts).
ALTER TABLE "rollup_day" ADD COLUMN "incident_id" bigint;--> statement-breakpoint
ALTER TABLE "rollup_hour" ADD COLUMN "incident_id" bigint;--> statement-breakpoint
UPDATE "rollup_day" r SET "incident_id" = i."id" FROM "incidents" i
  WHERE i."reason" = r."reason" AND i."line_key" = r."line" AND i."template_key" = r."template";--> statement-breakpoint
UPDATE "rollup_hour" r SET "incident_id" = i."id" FROM "incidents" i
  WHERE i."reason" = r."reason" AND i."line_key" = r."line" AND i."template_key" = r."template";
