CREATE TABLE "lethe"."suppressions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"kind" text NOT NULL,
	"hash" text NOT NULL,
	"subject_hash" text NOT NULL,
	"policy_id" text NOT NULL,
	"reason" text NOT NULL,
	"run_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"lifted_at" timestamp with time zone,
	"lifted_by" text,
	"lift_reason" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "suppressions_open_idx" ON "lethe"."suppressions" USING btree ("purpose","kind","hash","subject_hash") WHERE lifted_at IS NULL;--> statement-breakpoint
CREATE INDEX "suppressions_subject_idx" ON "lethe"."suppressions" USING btree ("purpose","subject_hash") WHERE lifted_at IS NULL;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON lethe.suppressions TO lethe_app;
