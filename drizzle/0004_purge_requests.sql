CREATE TABLE "lethe"."purge_request_items" (
	"request_id" text NOT NULL,
	"policy_id" text NOT NULL,
	"record_key" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lethe"."purge_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"policy_id" text,
	"subject_ref" text,
	"reason" text NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"plan" jsonb NOT NULL,
	"plan_hash" text NOT NULL,
	"approved_by" text,
	"approved_at" timestamp with time zone,
	"run_id" uuid
);
--> statement-breakpoint
CREATE INDEX "purge_request_items_request_idx" ON "lethe"."purge_request_items" USING btree ("request_id","policy_id");--> statement-breakpoint
CREATE INDEX "purge_requests_status_idx" ON "lethe"."purge_requests" USING btree ("status");--> statement-breakpoint
CREATE INDEX "purge_requests_run_idx" ON "lethe"."purge_requests" USING btree ("run_id");--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON lethe.purge_requests, lethe.purge_request_items TO lethe_app;
