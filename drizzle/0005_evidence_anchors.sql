CREATE TABLE "lethe"."evidence_anchors" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "lethe"."evidence_anchors_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"through_seal_seq" bigint NOT NULL,
	"anchor_hash" text NOT NULL,
	"seals_pruned" integer NOT NULL,
	"records_pruned" integer NOT NULL,
	"cutoff" timestamp with time zone NOT NULL,
	"pruned_at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
-- Evidence may only ever be removed by lethe.prune_evidence: inside it (and only there) the
-- session flag is on, and even then only rows older than the 3-year floor may go.
CREATE OR REPLACE FUNCTION lethe.refuse_evidence_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  at timestamptz;
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('lethe.pruning', true) = 'on' THEN
    IF TG_TABLE_NAME = 'evidence' THEN
      at := OLD.occurred_at;
    ELSIF TG_TABLE_NAME = 'evidence_seals' THEN
      at := OLD.sealed_at;
    END IF;
    IF at IS NOT NULL AND at < now() - interval '3 years' THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'lethe: % on %.% is not allowed: destruction evidence is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER evidence_anchors_append_only BEFORE UPDATE OR DELETE ON lethe.evidence_anchors
  FOR EACH ROW EXECUTE FUNCTION lethe.refuse_evidence_change();
--> statement-breakpoint
CREATE TRIGGER evidence_anchors_no_truncate BEFORE TRUNCATE ON lethe.evidence_anchors
  FOR EACH STATEMENT EXECUTE FUNCTION lethe.refuse_evidence_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION lethe.prune_evidence(
  p_through_seal_seq bigint, p_anchor_hash text, p_cutoff timestamptz, p_actor text, p_prev_hash text, p_hash text,
  p_seals integer, p_records integer
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = lethe, pg_temp AS $$
DECLARE
  newest timestamptz;
  n_seals integer;
  n_records integer;
BEGIN
  IF p_cutoff >= now() - interval '3 years' THEN
    RAISE EXCEPTION 'lethe: evidence is kept at least 3 years (PIPL art. 56); cutoff % is too recent', p_cutoff;
  END IF;
  SELECT greatest(max(s.sealed_at), max(e.occurred_at)) INTO newest
    FROM lethe.evidence_seals s LEFT JOIN lethe.evidence e ON e.batch_id = s.batch_id
    WHERE s.seq <= p_through_seal_seq;
  IF newest IS NULL OR newest >= p_cutoff THEN
    RAISE EXCEPTION 'lethe: seals up to % are not all older than the cutoff %', p_through_seal_seq, p_cutoff;
  END IF;
  IF (SELECT hash FROM lethe.evidence_seals WHERE seq = p_through_seal_seq) IS DISTINCT FROM p_anchor_hash THEN
    RAISE EXCEPTION 'lethe: the anchor hash does not match seal %', p_through_seal_seq;
  END IF;
  PERFORM set_config('lethe.pruning', 'on', true);
  DELETE FROM lethe.evidence e USING lethe.evidence_seals s WHERE s.batch_id = e.batch_id AND s.seq <= p_through_seal_seq;
  GET DIAGNOSTICS n_records = ROW_COUNT;
  DELETE FROM lethe.evidence_seals WHERE seq <= p_through_seal_seq;
  GET DIAGNOSTICS n_seals = ROW_COUNT;
  PERFORM set_config('lethe.pruning', 'off', true);
  IF n_seals <> p_seals OR n_records <> p_records THEN
    RAISE EXCEPTION 'lethe: pruning found % seals and % records, expected % and %', n_seals, n_records, p_seals, p_records;
  END IF;
  INSERT INTO lethe.evidence_anchors (through_seal_seq, anchor_hash, seals_pruned, records_pruned, cutoff, pruned_at, actor, prev_hash, hash)
    VALUES (p_through_seal_seq, p_anchor_hash, n_seals, n_records, p_cutoff, now(), p_actor, p_prev_hash, p_hash);
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION lethe.prune_evidence(bigint, text, timestamptz, text, text, text, integer, integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lethe.prune_evidence(bigint, text, timestamptz, text, text, text, integer, integer) TO lethe_app;
--> statement-breakpoint
REVOKE ALL ON lethe.evidence_anchors FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT ON lethe.evidence_anchors TO lethe_app;
