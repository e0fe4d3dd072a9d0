-- Phone search on PostgreSQL (lib/queries/failure-filter.ts): a matched contact's failures by
-- their contact (E.164, else the cellphone), with every column a search's counts and its
-- incidents read: a busy number's 40,000 failures are one index-only range instead of 40,000
-- heap pages.
-- drizzle cannot declare INCLUDE: the index lives here only (db/schema-parity.test.ts knows it).
CREATE INDEX IF NOT EXISTS "failures_contact_cover_idx" ON "failures" ((coalesce("phone_e164", "cellphone")), "occurred_at") INCLUDE ("phone_e164", "cellphone", "reason", "line", "template", "incident_id");
