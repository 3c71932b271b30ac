CREATE TABLE "lethe"."register_archive" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "lethe"."register_archive_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"through_seal_seq" bigint NOT NULL,
	"run_id" uuid NOT NULL,
	"run_kind" text,
	"run_trigger" text,
	"run_status" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"executed_by" text,
	"approved_by" text,
	"witnessed_by" text,
	"policy_id" text NOT NULL,
	"policy_version" text NOT NULL,
	"category" text NOT NULL,
	"classification" text NOT NULL,
	"trigger" text NOT NULL,
	"action" text NOT NULL,
	"table" text NOT NULL,
	"records" integer NOT NULL,
	"first_occurred_at" timestamp with time zone NOT NULL,
	"last_occurred_at" timestamp with time zone NOT NULL,
	"basis" text[] NOT NULL,
	"pruned_at" timestamp with time zone NOT NULL,
	"pruned_by" text NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "register_archive_run_idx" ON "lethe"."register_archive" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "register_archive_occurred_idx" ON "lethe"."register_archive" USING btree ("first_occurred_at","last_occurred_at");--> statement-breakpoint
-- Kept permanently: no update, no delete (not even by lethe.prune_evidence), no truncate.
CREATE TRIGGER register_archive_append_only BEFORE UPDATE OR DELETE ON lethe.register_archive
  FOR EACH ROW EXECUTE FUNCTION lethe.refuse_evidence_change();
--> statement-breakpoint
CREATE TRIGGER register_archive_no_truncate BEFORE TRUNCATE ON lethe.register_archive
  FOR EACH STATEMENT EXECUTE FUNCTION lethe.refuse_evidence_change();
--> statement-breakpoint
REVOKE ALL ON lethe.register_archive FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT, INSERT ON lethe.register_archive TO lethe_app;
