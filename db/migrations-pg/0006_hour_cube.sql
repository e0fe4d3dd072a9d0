CREATE TABLE "rollup_hour" (
	"bucket" bigint NOT NULL,
	"reason" text NOT NULL,
	"line" text NOT NULL,
	"template" text NOT NULL,
	"failures" integer NOT NULL,
	CONSTRAINT "rollup_hour_bucket_reason_line_template_pk" PRIMARY KEY("bucket","reason","line","template")
);
--> statement-breakpoint
CREATE INDEX "rollup_hour_scope_idx" ON "rollup_hour" USING btree ("line","template","bucket");