-- Custom migration: per quarter hour, in the scope of every failure, the contacts on the retry and
-- suppression lists whose own number lacks each digit (db/schema.ts), counted from contact_state as
-- lib/ingest/contact-state.ts keeps them: the retry list by the latest failure's quarter (a retry
-- reason and never "do not contact"), the suppression list by the latest "do not contact" one's.
CREATE TABLE "contact_lacking_quarters" (
	"bucket" bigint PRIMARY KEY NOT NULL,
	"retry_lacks_0" integer DEFAULT 0 NOT NULL,
	"retry_lacks_1" integer DEFAULT 0 NOT NULL,
	"retry_lacks_2" integer DEFAULT 0 NOT NULL,
	"retry_lacks_3" integer DEFAULT 0 NOT NULL,
	"retry_lacks_4" integer DEFAULT 0 NOT NULL,
	"retry_lacks_5" integer DEFAULT 0 NOT NULL,
	"retry_lacks_6" integer DEFAULT 0 NOT NULL,
	"retry_lacks_7" integer DEFAULT 0 NOT NULL,
	"retry_lacks_8" integer DEFAULT 0 NOT NULL,
	"retry_lacks_9" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_0" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_1" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_2" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_3" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_4" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_5" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_6" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_7" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_8" integer DEFAULT 0 NOT NULL,
	"dnc_lacks_9" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
INSERT INTO "contact_lacking_quarters" ("bucket", "retry_lacks_0", "retry_lacks_1", "retry_lacks_2", "retry_lacks_3", "retry_lacks_4", "retry_lacks_5", "retry_lacks_6", "retry_lacks_7", "retry_lacks_8", "retry_lacks_9", "dnc_lacks_0", "dnc_lacks_1", "dnc_lacks_2", "dnc_lacks_3", "dnc_lacks_4", "dnc_lacks_5", "dnc_lacks_6", "dnc_lacks_7", "dnc_lacks_8", "dnc_lacks_9")
  SELECT "bucket", sum("retry_lacks_0"), sum("retry_lacks_1"), sum("retry_lacks_2"), sum("retry_lacks_3"), sum("retry_lacks_4"), sum("retry_lacks_5"), sum("retry_lacks_6"), sum("retry_lacks_7"), sum("retry_lacks_8"), sum("retry_lacks_9"), sum("dnc_lacks_0"), sum("dnc_lacks_1"), sum("dnc_lacks_2"), sum("dnc_lacks_3"), sum("dnc_lacks_4"), sum("dnc_lacks_5"), sum("dnc_lacks_6"), sum("dnc_lacks_7"), sum("dnc_lacks_8"), sum("dnc_lacks_9") FROM (
    SELECT ("last_at" / 900000) * 900000 AS "bucket", (CASE WHEN strpos("contact", '0') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_0", (CASE WHEN strpos("contact", '1') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_1", (CASE WHEN strpos("contact", '2') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_2", (CASE WHEN strpos("contact", '3') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_3", (CASE WHEN strpos("contact", '4') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_4", (CASE WHEN strpos("contact", '5') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_5", (CASE WHEN strpos("contact", '6') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_6", (CASE WHEN strpos("contact", '7') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_7", (CASE WHEN strpos("contact", '8') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_8", (CASE WHEN strpos("contact", '9') = 0 THEN 1 ELSE 0 END) AS "retry_lacks_9", 0 AS "dnc_lacks_0", 0 AS "dnc_lacks_1", 0 AS "dnc_lacks_2", 0 AS "dnc_lacks_3", 0 AS "dnc_lacks_4", 0 AS "dnc_lacks_5", 0 AS "dnc_lacks_6", 0 AS "dnc_lacks_7", 0 AS "dnc_lacks_8", 0 AS "dnc_lacks_9"
    FROM "contact_state" WHERE "scope" = '[null,null]' AND "last_dnc_at" IS NULL AND "last_reason" IN ('FAILURE', 'FAILURE_BY_HUMAN_HANDOVER', 'FAILURE_BY_RATE_LIMIT', 'COMPANY_RATE_LIMIT', 'FAILURE_BY_TIER_CAPACITY', 'MISSING_PARAMETER', 'PARAMETER_MISMATCH', 'INVALID_POLL', 'CHARACTER_LIMIT_HEADER', 'CHARACTER_LIMIT_BODY', 'FAILURE_BY_DISABLED_HSM', 'FAILURE_BY_SPAM_RATE_LIMIT')
    UNION ALL
    SELECT ("last_dnc_at" / 900000) * 900000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (CASE WHEN strpos("contact", '0') = 0 THEN 1 ELSE 0 END), (CASE WHEN strpos("contact", '1') = 0 THEN 1 ELSE 0 END), (CASE WHEN strpos("contact", '2') = 0 THEN 1 ELSE 0 END), (CASE WHEN strpos("contact", '3') = 0 THEN 1 ELSE 0 END), (CASE WHEN strpos("contact", '4') = 0 THEN 1 ELSE 0 END), (CASE WHEN strpos("contact", '5') = 0 THEN 1 ELSE 0 END), (CASE WHEN strpos("contact", '6') = 0 THEN 1 ELSE 0 END), (CASE WHEN strpos("contact", '7') = 0 THEN 1 ELSE 0 END), (CASE WHEN strpos("contact", '8') = 0 THEN 1 ELSE 0 END), (CASE WHEN strpos("contact", '9') = 0 THEN 1 ELSE 0 END)
    FROM "contact_state" WHERE "scope" = '[null,null]' AND "last_dnc_at" IS NOT NULL
  ) "counted"
  GROUP BY "bucket";
