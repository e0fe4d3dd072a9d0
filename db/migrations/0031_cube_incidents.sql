-- Edited after drizzle-kit generate: the cube's rows get the incident of their (reason, line,
-- template), found by incidents_key_idx. A status filter tests that id against its incidents' ids
-- (db/schema.ts), so the index its old probe read by key and status is no longer used.
DROP INDEX `incidents_key_status_idx`;--> statement-breakpoint
ALTER TABLE `rollup_day` ADD `incident_id` integer;--> statement-breakpoint
ALTER TABLE `rollup_hour` ADD `incident_id` integer;--> statement-breakpoint
UPDATE `rollup_day` SET `incident_id` = (SELECT i.`id` FROM `incidents` i
  WHERE i.`reason` = `rollup_day`.`reason` AND i.`line_key` = `rollup_day`.`line` AND i.`template_key` = `rollup_day`.`template`);--> statement-breakpoint
UPDATE `rollup_hour` SET `incident_id` = (SELECT i.`id` FROM `incidents` i
  WHERE i.`reason` = `rollup_hour`.`reason` AND i.`line_key` = `rollup_hour`.`line` AND i.`template_key` = `rollup_hour`.`template`);
