CREATE TABLE "lethe"."object_deletions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"bucket" text,
	"object_key" text,
	"object_ref" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"run_id" uuid NOT NULL,
	"batch_id" uuid NOT NULL,
	"policy_id" text NOT NULL,
	"policy_version" text NOT NULL,
	"category" text NOT NULL,
	"classification" text NOT NULL,
	"trigger" text NOT NULL,
	"actor" text NOT NULL,
	"table_name" text NOT NULL,
	"record_ref" text NOT NULL,
	"subject_ref" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"versions" integer,
	"absent" boolean,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "object_deletions_dedupe_idx" ON "lethe"."object_deletions" USING btree ("batch_id","object_ref");--> statement-breakpoint
CREATE INDEX "object_deletions_pending_idx" ON "lethe"."object_deletions" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "object_deletions_store_idx" ON "lethe"."object_deletions" USING btree ("store_id","status");--> statement-breakpoint
CREATE INDEX "object_deletions_run_idx" ON "lethe"."object_deletions" USING btree ("run_id") WHERE status = 'pending';