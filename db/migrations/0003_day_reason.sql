-- Edited after drizzle-kit generate: WITHOUT ROWID like the other rollups, and filled from the
-- existing daily rollups so databases created before it have their history in it too.
CREATE TABLE `rollup_day_reason` (
	`bucket` integer NOT NULL,
	`reason` text NOT NULL,
	`failures` integer NOT NULL,
	PRIMARY KEY(`bucket`, `reason`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `rollup_day_reason` (`bucket`, `reason`, `failures`)
SELECT `bucket`, `reason`, sum(`failures`) FROM `rollup_day_line` GROUP BY `bucket`, `reason`;
