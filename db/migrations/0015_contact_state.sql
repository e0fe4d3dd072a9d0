CREATE TABLE `contact_state` (
	`contact` text NOT NULL,
	`scope` text NOT NULL,
	`last_at` integer NOT NULL,
	`last_reason` text NOT NULL,
	`last_dnc_at` integer,
	PRIMARY KEY(`contact`, `scope`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `contact_state_hours` (
	`scope` text NOT NULL,
	`bucket` integer NOT NULL,
	`seen` integer NOT NULL,
	`retry` integer NOT NULL,
	`dnc` integer NOT NULL,
	PRIMARY KEY(`scope`, `bucket`)
) WITHOUT ROWID;
--> statement-breakpoint
-- Backfill, as lib/ingest/contact-state.ts keeps it: per contact and scope (json_array(line, template), null = any),
-- the latest failure (ties to the higher id) and the latest "do not contact" failure.
INSERT INTO `contact_state` (`contact`, `scope`, `last_at`, `last_reason`, `last_dnc_at`)
  SELECT `contact`, `scope`, `occurred_at`, `reason`, `dnc_at` FROM (
    SELECT `contact`, `scope`, `occurred_at`, `reason`,
      row_number() OVER (PARTITION BY `contact`, `scope` ORDER BY `occurred_at` DESC, `id` DESC) AS `n`,
      max(CASE WHEN `reason` IN ('INVALID_PHONE', 'FAILURE_BY_BLOCKED_CONTACT', 'FAILURE_BY_OPTOUT_CONTACT', 'FAILURE_BY_UNABLE_TO_CONTACT', 'FAILURE_BY_EXPERIMENT_NUMBER')
        THEN `occurred_at` END) OVER (PARTITION BY `contact`, `scope`) AS `dnc_at`
    FROM (
      SELECT f.`id`, coalesce(f.`phone_e164`, f.`cellphone`) AS `contact`, f.`occurred_at`, f.`reason`,
        json_array(CASE WHEN k.`by_line` THEN f.`line` END, CASE WHEN k.`by_template` THEN f.`template` END) AS `scope`
      FROM `failures` f
      CROSS JOIN (SELECT 0 AS `by_line`, 0 AS `by_template` UNION ALL SELECT 1, 0 UNION ALL SELECT 0, 1 UNION ALL SELECT 1, 1) k
      WHERE coalesce(f.`phone_e164`, f.`cellphone`) IS NOT NULL
    )
  )
  WHERE `n` = 1;
--> statement-breakpoint
INSERT INTO `contact_state_hours` (`scope`, `bucket`, `seen`, `retry`, `dnc`)
  SELECT `scope`, `bucket`, sum(`seen`), sum(`retry`), sum(`dnc`) FROM (
    SELECT s.`scope`, (s.`last_at` / 3600000) * 3600000 AS `bucket`, 1 AS `seen`,
      (s.`last_reason` IN ('FAILURE', 'FAILURE_BY_HUMAN_HANDOVER', 'FAILURE_BY_RATE_LIMIT', 'COMPANY_RATE_LIMIT', 'FAILURE_BY_TIER_CAPACITY',
          'FAILURE_BY_SPAM_RATE_LIMIT', 'MISSING_PARAMETER', 'PARAMETER_MISMATCH', 'INVALID_POLL', 'CHARACTER_LIMIT_HEADER', 'CHARACTER_LIMIT_BODY',
          'FAILURE_BY_DISABLED_HSM')
        AND NOT EXISTS (SELECT 1 FROM `contact_state` g WHERE g.`contact` = s.`contact` AND g.`scope` = '[null,null]' AND g.`last_dnc_at` IS NOT NULL)) AS `retry`,
      0 AS `dnc`
    FROM `contact_state` s
    UNION ALL
    SELECT `scope`, (`last_dnc_at` / 3600000) * 3600000, 0, 0, 1 FROM `contact_state` WHERE `last_dnc_at` IS NOT NULL
  )
  GROUP BY 1, 2;
