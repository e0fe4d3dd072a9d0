-- Scopes by reason ("r" and its number) and by reason class ("c" and its number), as
-- lib/ingest/contact-state.ts keeps them (scopesOf; the numbers are REASON_SCOPE_IDS and
-- CLASS_SCOPE_IDS): per contact, its latest failure of each known reason and of each class (ties to
-- the higher id) and its latest "do not contact" failure there. Then their quarter-hour counts.
INSERT INTO `contact_state` (`contact`, `scope`, `last_at`, `last_reason`, `last_dnc_at`)
  SELECT `contact`, `scope`, `occurred_at`, `reason`, `dnc_at` FROM (
    SELECT `contact`, `scope`, `occurred_at`, `reason`,
      row_number() OVER (PARTITION BY `contact`, `scope` ORDER BY `occurred_at` DESC, `id` DESC) AS `n`,
      max(CASE WHEN `reason` IN ('INVALID_PHONE', 'FAILURE_BY_BLOCKED_CONTACT', 'FAILURE_BY_OPTOUT_CONTACT', 'FAILURE_BY_EXPERIMENT_NUMBER', 'FAILURE_BY_UNABLE_TO_CONTACT') THEN `occurred_at` END) OVER (PARTITION BY `contact`, `scope`) AS `dnc_at`
    FROM (
      SELECT f.`id`, coalesce(f.`phone_e164`, f.`cellphone`) AS `contact`, f.`occurred_at`, f.`reason`,
        CASE WHEN k.`by_class` = 1 THEN c.column3 ELSE c.column2 END AS `scope`
      FROM `failures` f
      JOIN (VALUES
      ('FAILURE', 'r0', 'c0'),
      ('FAILURE_BY_HUMAN_HANDOVER', 'r1', 'c0'),
      ('REVOKED', 'r2', 'c3'),
      ('INVALID_PHONE', 'r3', 'c2'),
      ('FAILURE_BY_RATE_LIMIT', 'r4', 'c0'),
      ('COMPANY_RATE_LIMIT', 'r5', 'c0'),
      ('FAILURE_BY_TIER_CAPACITY', 'r6', 'c0'),
      ('MISSING_PARAMETER', 'r7', 'c1'),
      ('PARAMETER_MISMATCH', 'r8', 'c1'),
      ('FAILURE_BY_BLOCKED_CONTACT', 'r9', 'c2'),
      ('FAILURE_BY_OPTOUT_CONTACT', 'r10', 'c2'),
      ('INVALID_POLL', 'r11', 'c1'),
      ('CHARACTER_LIMIT_HEADER', 'r12', 'c1'),
      ('CHARACTER_LIMIT_BODY', 'r13', 'c1'),
      ('FAILURE_BY_DISABLED_HSM', 'r14', 'c1'),
      ('FAILURE_BY_SPAM_RATE_LIMIT', 'r15', 'c0'),
      ('FAILURE_BY_EXPERIMENT_NUMBER', 'r16', 'c2'),
      ('FAILURE_BY_UNABLE_TO_CONTACT', 'r17', 'c2')) AS c ON c.column1 = f.`reason`
      CROSS JOIN (SELECT 0 AS `by_class` UNION ALL SELECT 1) k
      WHERE coalesce(f.`phone_e164`, f.`cellphone`) IS NOT NULL
    ) `scoped`
  ) `latest`
  WHERE `n` = 1;
--> statement-breakpoint
INSERT INTO `contact_state_quarters` (`scope`, `bucket`, `seen`, `retry`, `dnc`)
  SELECT `scope`, `bucket`, sum(`seen`), sum(`retry`), sum(`dnc`) FROM (
    SELECT s.`scope`, (s.`last_at` / 900000) * 900000 AS `bucket`, 1 AS `seen`,
      CASE WHEN s.`last_reason` IN ('FAILURE', 'FAILURE_BY_HUMAN_HANDOVER', 'FAILURE_BY_RATE_LIMIT', 'COMPANY_RATE_LIMIT', 'FAILURE_BY_TIER_CAPACITY', 'MISSING_PARAMETER', 'PARAMETER_MISMATCH', 'INVALID_POLL', 'CHARACTER_LIMIT_HEADER', 'CHARACTER_LIMIT_BODY', 'FAILURE_BY_DISABLED_HSM', 'FAILURE_BY_SPAM_RATE_LIMIT')
        AND NOT EXISTS (SELECT 1 FROM `contact_state` g WHERE g.`contact` = s.`contact` AND g.`scope` = '[null,null]' AND g.`last_dnc_at` IS NOT NULL) THEN 1 ELSE 0 END AS `retry`,
      0 AS `dnc`
    FROM `contact_state` s WHERE s.`scope` NOT LIKE '[%'
    UNION ALL
    SELECT `scope`, (`last_dnc_at` / 900000) * 900000, 0, 0, 1 FROM `contact_state` WHERE `last_dnc_at` IS NOT NULL AND `scope` NOT LIKE '[%'
  ) `counted`
  GROUP BY `scope`, `bucket`;
