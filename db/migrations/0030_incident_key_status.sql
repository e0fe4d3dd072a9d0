-- A status filter probes each rollup row's incident by its key; with the status in the index the
-- probe never reads the incident's row (db/schema.ts). Statistics at once, as for day_key_indexes.
CREATE INDEX `incidents_key_status_idx` ON `incidents` (`reason`,`line_key`,`template_key`,`status`);--> statement-breakpoint
ANALYZE `incidents`;
