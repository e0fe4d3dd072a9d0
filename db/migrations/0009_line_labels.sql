CREATE TABLE `line_labels` (
	`line` text PRIMARY KEY NOT NULL,
	`label` text NOT NULL,
	`updated_at` integer NOT NULL
);
