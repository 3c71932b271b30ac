CREATE TABLE "lethe"."partner_requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"trigger" text NOT NULL,
	"run_id" uuid NOT NULL,
	"batch_id" uuid,
	"policy_id" text NOT NULL,
	"policy_version" text NOT NULL,
	"classification" text NOT NULL,
	"actor" text NOT NULL,
	"categories" text[] NOT NULL,
	"subject_refs" text[] NOT NULL,
	"payload" jsonb,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"receipt" jsonb,
	"reminded_at" timestamp with time zone,
	"reminders" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "partner_requests_dedupe_idx" ON "lethe"."partner_requests" USING btree ("partner_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "partner_requests_pending_idx" ON "lethe"."partner_requests" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "partner_requests_sent_idx" ON "lethe"."partner_requests" USING btree ("deadline_at") WHERE status = 'sent';--> statement-breakpoint
CREATE INDEX "partner_requests_partner_idx" ON "lethe"."partner_requests" USING btree ("partner_id","status");--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON lethe.partner_requests TO lethe_app;
