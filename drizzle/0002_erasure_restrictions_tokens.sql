CREATE TABLE "lethe"."api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "lethe"."erasure_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"ticket" text NOT NULL,
	"subject_ref" text NOT NULL,
	"status" text NOT NULL,
	"actor" text NOT NULL,
	"run_id" uuid,
	"received_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	"outcome" jsonb,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "lethe"."restrictions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"policy_id" text NOT NULL,
	"record_key" text NOT NULL,
	"record_ref" text NOT NULL,
	"subject_ref" text,
	"request_id" text,
	"until" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"closed_reason" text
);
--> statement-breakpoint
ALTER TABLE "lethe"."scans" ADD COLUMN "mode" text DEFAULT 'policy' NOT NULL;--> statement-breakpoint
ALTER TABLE "lethe"."scans" ADD COLUMN "subject" text;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_idx" ON "lethe"."api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "erasure_requests_ticket_idx" ON "lethe"."erasure_requests" USING btree ("ticket");--> statement-breakpoint
CREATE INDEX "erasure_requests_status_idx" ON "lethe"."erasure_requests" USING btree ("status","due_at");--> statement-breakpoint
CREATE UNIQUE INDEX "restrictions_open_idx" ON "lethe"."restrictions" USING btree ("policy_id","record_key") WHERE closed_at IS NULL;--> statement-breakpoint
CREATE INDEX "restrictions_until_idx" ON "lethe"."restrictions" USING btree ("until") WHERE closed_at IS NULL;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON lethe.erasure_requests, lethe.restrictions, lethe.api_tokens TO lethe_app;
