-- A failure's session id is read from its payload (lib/ingest/normalize.ts readSessionId): only
-- its detail shows it. A raw event keeps its type only when it became no row of its own (while
-- quarantined, or a type Faultline does not read): the failure, template status or session close
-- it became says what it was (lib/ingest/store.ts storedEventType).
ALTER TABLE "failures" DROP COLUMN "session_id";
--> statement-breakpoint
UPDATE "raw_events" SET "event_type" = '' WHERE "problems" IS NULL AND "event_type" <> ''
  AND (EXISTS (SELECT 1 FROM "failures" f WHERE f."raw_event_id" = "raw_events"."id")
    OR EXISTS (SELECT 1 FROM "template_status_events" t WHERE t."raw_event_id" = "raw_events"."id")
    OR EXISTS (SELECT 1 FROM "closed_sessions" c WHERE c."raw_event_id" = "raw_events"."id"));
