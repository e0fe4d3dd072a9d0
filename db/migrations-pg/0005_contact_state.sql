CREATE TABLE "contact_state" (
	"contact" text NOT NULL,
	"scope" text NOT NULL,
	"last_at" bigint NOT NULL,
	"last_reason" text NOT NULL,
	"last_dnc_at" bigint,
	CONSTRAINT "contact_state_contact_scope_pk" PRIMARY KEY("contact","scope")
);
--> statement-breakpoint
CREATE TABLE "contact_state_hours" (
	"scope" text NOT NULL,
	"bucket" bigint NOT NULL,
	"seen" integer NOT NULL,
	"retry" integer NOT NULL,
	"dnc" integer NOT NULL,
	CONSTRAINT "contact_state_hours_scope_bucket_pk" PRIMARY KEY("scope","bucket")
);
