-- A long window's total per line or template reads these in key order, without sorting the
-- window's rows (SQLite has no hash aggregate; db/schema.ts). The tables' statistics are taken
-- at once, so the planner weighs the new indexes against the primary key from the first read.
CREATE INDEX `rollup_day_line_key_idx` ON `rollup_day_line` (`line`,`bucket`,`failures`);--> statement-breakpoint
CREATE INDEX `rollup_day_template_key_idx` ON `rollup_day_template` (`template`,`bucket`,`failures`);--> statement-breakpoint
ANALYZE `rollup_day_line`;--> statement-breakpoint
ANALYZE `rollup_day_template`;
