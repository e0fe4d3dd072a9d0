-- Edited after drizzle-kit generate: WITHOUT ROWID like the other rollups, and filled from the
-- stored failures as lib/ingest/store.ts counts them (unknown line/template are "").
CREATE TABLE `rollup_hour` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`line` text NOT NULL,
	`template` text NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`bucket`, `reason`, `line`, `template`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `rollup_hour` (`bucket`, `reason`, `line`, `template`, `failures`)
SELECT `occurred_at` / 3600000 * 3600000, `reason`, `line`, `template`, count(*) FROM `failures` GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
CREATE INDEX `rollup_hour_scope_idx` ON `rollup_hour` (`line`,`template`,`bucket`);
