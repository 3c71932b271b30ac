-- Evidence is append-only for everyone who goes through the application: a trigger refuses
-- UPDATE, DELETE and TRUNCATE, and the application role holds only SELECT and INSERT.
-- A superuser can still get around both (disable the trigger); `lethe evidence verify` detects that.
CREATE OR REPLACE FUNCTION lethe.refuse_evidence_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'lethe: % on %.% is not allowed: destruction evidence is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER evidence_append_only BEFORE UPDATE OR DELETE ON lethe.evidence
  FOR EACH ROW EXECUTE FUNCTION lethe.refuse_evidence_change();
--> statement-breakpoint
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON lethe.evidence
  FOR EACH STATEMENT EXECUTE FUNCTION lethe.refuse_evidence_change();
--> statement-breakpoint
CREATE TRIGGER evidence_seals_append_only BEFORE UPDATE OR DELETE ON lethe.evidence_seals
  FOR EACH ROW EXECUTE FUNCTION lethe.refuse_evidence_change();
--> statement-breakpoint
CREATE TRIGGER evidence_seals_no_truncate BEFORE TRUNCATE ON lethe.evidence_seals
  FOR EACH STATEMENT EXECUTE FUNCTION lethe.refuse_evidence_change();
--> statement-breakpoint
-- The role the worker logs in as (or is a member of). Roles are cluster-wide: create it once.
DO $$
BEGIN
  CREATE ROLE lethe_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON lethe.evidence, lethe.evidence_seals FROM PUBLIC;
--> statement-breakpoint
GRANT USAGE ON SCHEMA lethe TO lethe_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON lethe.evidence, lethe.evidence_seals TO lethe_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON lethe.policy_versions, lethe.runs, lethe.scans, lethe.batches, lethe.holds TO lethe_app;
