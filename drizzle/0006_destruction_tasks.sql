CREATE TABLE "lethe"."destruction_task_lines" (
	"task_id" text NOT NULL,
	"policy_id" text NOT NULL,
	"record_key" text,
	"record_ref" text NOT NULL,
	"subject_ref" text,
	"location" text,
	"media_class" text NOT NULL,
	"state" text NOT NULL,
	"added_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "lethe"."destruction_tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"policy_id" text NOT NULL,
	"policy_version" text NOT NULL,
	"method" text NOT NULL,
	"status" text NOT NULL,
	"run_id" uuid NOT NULL,
	"opened_by" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"due_by" timestamp with time zone NOT NULL,
	"approved_by" text,
	"approved_at" timestamp with time zone,
	"handed_over_by" text,
	"handed_over_at" timestamp with time zone,
	"executor" text,
	"handover_note" text,
	"confirmed_by" text,
	"confirmed_at" timestamp with time zone,
	"witness" text,
	"certificate" text
);
--> statement-breakpoint
ALTER TABLE "lethe"."destruction_task_lines" ADD CONSTRAINT "destruction_task_lines_task_id_destruction_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "lethe"."destruction_tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lethe"."destruction_tasks" ADD CONSTRAINT "destruction_tasks_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "lethe"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "destruction_task_lines_task_idx" ON "lethe"."destruction_task_lines" USING btree ("task_id","state");--> statement-breakpoint
CREATE UNIQUE INDEX "destruction_task_lines_open_idx" ON "lethe"."destruction_task_lines" USING btree ("policy_id","record_key") WHERE state = 'open';--> statement-breakpoint
CREATE INDEX "destruction_tasks_status_idx" ON "lethe"."destruction_tasks" USING btree ("status","due_by");--> statement-breakpoint
CREATE INDEX "destruction_tasks_policy_idx" ON "lethe"."destruction_tasks" USING btree ("policy_id","method","status");--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON lethe.destruction_tasks, lethe.destruction_task_lines TO lethe_app;
