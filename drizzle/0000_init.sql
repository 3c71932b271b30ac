CREATE SCHEMA IF NOT EXISTS "lethe";
--> statement-breakpoint
CREATE TABLE "lethe"."batches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"scan_id" uuid,
	"policy_id" text NOT NULL,
	"policy_version" text NOT NULL,
	"trigger" text NOT NULL,
	"actor" text NOT NULL,
	"keys" text[],
	"size" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"destroyed" integer DEFAULT 0 NOT NULL,
	"anonymised" integer DEFAULT 0 NOT NULL,
	"children" integer DEFAULT 0 NOT NULL,
	"held" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "lethe"."evidence" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "lethe"."evidence_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"batch_id" uuid NOT NULL,
	"batch_pos" integer NOT NULL,
	"run_id" uuid NOT NULL,
	"policy_id" text NOT NULL,
	"policy_version" text NOT NULL,
	"category" text NOT NULL,
	"classification" text NOT NULL,
	"trigger" text NOT NULL,
	"action" text NOT NULL,
	"table" text NOT NULL,
	"record_ref" text,
	"subject_ref" text,
	"fields" jsonb,
	"partner" text,
	"actor" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lethe"."evidence_seals" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "lethe"."evidence_seals_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"batch_id" uuid NOT NULL,
	"records" integer NOT NULL,
	"last_hash" text NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	"sealed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lethe"."holds" (
	"id" text PRIMARY KEY NOT NULL,
	"subject_ref" text NOT NULL,
	"policy_id" text,
	"reason" text NOT NULL,
	"placed_by" text NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"released_at" timestamp with time zone,
	"released_by" text,
	"release_reason" text
);
--> statement-breakpoint
CREATE TABLE "lethe"."policy_versions" (
	"policy_id" text NOT NULL,
	"version" text NOT NULL,
	"file_name" text NOT NULL,
	"source" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lethe"."runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"trigger" text NOT NULL,
	"actor" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "lethe"."scans" (
	"id" uuid PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"policy_id" text NOT NULL,
	"policy_version" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"cursor" jsonb,
	"pages" integer DEFAULT 0 NOT NULL,
	"found" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "lethe"."batches" ADD CONSTRAINT "batches_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "lethe"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lethe"."batches" ADD CONSTRAINT "batches_scan_id_scans_id_fk" FOREIGN KEY ("scan_id") REFERENCES "lethe"."scans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lethe"."scans" ADD CONSTRAINT "scans_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "lethe"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "batches_run_idx" ON "lethe"."batches" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "batches_open_idx" ON "lethe"."batches" USING btree ("status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "evidence_batch_pos_idx" ON "lethe"."evidence" USING btree ("batch_id","batch_pos");--> statement-breakpoint
CREATE INDEX "evidence_subject_idx" ON "lethe"."evidence" USING btree ("subject_ref");--> statement-breakpoint
CREATE INDEX "evidence_occurred_idx" ON "lethe"."evidence" USING btree ("occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "evidence_seals_batch_idx" ON "lethe"."evidence_seals" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "holds_active_idx" ON "lethe"."holds" USING btree ("subject_ref") WHERE released_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "policy_versions_pk" ON "lethe"."policy_versions" USING btree ("policy_id","version");--> statement-breakpoint
CREATE INDEX "scans_run_idx" ON "lethe"."scans" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "scans_open_idx" ON "lethe"."scans" USING btree ("status");