// The yardsticks lethe is measured against: PostgreSQL doing the same destruction by itself, in
// one stored procedure (no client round trip), 10,000 records per transaction.
// - minimal: DELETE … RETURNING feeding an evidence INSERT of the same shape as lethe's, hashes
//   by the server's sha256, nothing else — the fastest way PostgreSQL itself destroys with a
//   per-record trail.
// - floor:   lethe's exact evidence, written by the procedure: HMAC refs under the same keys,
//   rows chained within their batch, a seal chained under the chain lock, held subjects
//   skipped. `lethe evidence verify` accepts what it writes: it is what lethe must do anyway.
// The keys reach the procedure as parameters, which PostgreSQL may log: a bench database only.
import pg from 'pg';
import { deriveKeys } from '../src/crypto/keys.ts';
import { LOCKS } from '../src/db/sql.ts';
import { settle } from './db.ts';

export interface Target {
  /** Schema-qualified source table, key and subject columns, key type. */
  table: string;
  key: string;
  subject: string;
  keyType: string;
  /** Due records, a predicate on alias t (the bench's policy, written by hand). */
  due: string;
  children: { table: string; key: string; foreignKey: string }[];
  /** Anonymise instead of delete: the SET list (on alias t), and the evidence `fields` it writes. */
  anonymise?: { set: string; fields: Record<string, string> };
  /** The evidence row's constants: what lethe's policy file says. */
  policyId: string;
  policyVersion: string;
  category: string;
  classification: string;
}

export interface YardstickResult {
  records: number;
  children: number;
  seconds: number;
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The batch's victims and the rows gone: `gone(tbl, id, s)` for the source and each child. */
function destroyCte(t: Target): string {
  const children = t.children.map((c, j) => `,
    c${j} AS (DELETE FROM ${c.table} c USING v WHERE c.${c.foreignKey} = v.k RETURNING ${q(c.table)}::text AS tbl, c.${c.key}::text AS id, v.s)`).join('');
  return `v AS (SELECT u.k, u.s FROM unnest(keys[i:i + batch - 1], subjects[i:i + batch - 1]) AS u(k, s))${children},
    d AS (${t.anonymise ? `UPDATE ${t.table} t SET ${t.anonymise.set} FROM v` : `DELETE FROM ${t.table} t USING v`}
      WHERE t.${t.key} = v.k AND ${t.due} RETURNING ${q(t.table)}::text AS tbl, t.${t.key}::text AS id, v.s),
    gone AS (SELECT * FROM d${t.children.map((_, j) => ` UNION ALL SELECT * FROM c${j}`).join('')})`;
}

/** The due set, read once, sorted by key: as lethe's scan reads it. */
function dueSet(t: Target, exclude = ''): string {
  return `SELECT t.${t.key}, t.${t.subject}::text FROM ${t.table} t WHERE ${t.due} ${exclude} ORDER BY t.${t.key}`;
}

/** The evidence action and fields of a row of `tbl` (children are always deleted). */
const action = (t: Target) => (t.anonymise ? `CASE WHEN tbl = ${q(t.table)} THEN 'anonymise' ELSE 'delete' END` : `'delete'`);
const fields = (t: Target) => (t.anonymise ? `CASE WHEN tbl = ${q(t.table)} THEN ${q(JSON.stringify(t.anonymise.fields))}::jsonb END` : 'NULL');

export function minimalProcedure(t: Target): string {
  return `CREATE TABLE IF NOT EXISTS bench_raw_evidence (LIKE lethe.evidence INCLUDING ALL);
CREATE OR REPLACE PROCEDURE bench_minimal(batch int) LANGUAGE plpgsql AS $$
DECLARE keys ${t.keyType}[]; subjects text[]; i int := 1; b uuid; r uuid := gen_random_uuid();
BEGIN
  SELECT array_agg(k), array_agg(s) INTO keys, subjects FROM (${dueSet(t)}) x(k, s);
  WHILE i <= coalesce(cardinality(keys), 0) LOOP
    b := gen_random_uuid();
    WITH ${destroyCte(t)}
    INSERT INTO bench_raw_evidence (batch_id, batch_pos, run_id, policy_id, policy_version, category, classification,
        trigger, action, "table", record_ref, subject_ref, fields, partner, actor, occurred_at, prev_hash, hash)
      SELECT b, row_number() OVER () - 1, r, ${q(t.policyId)}, ${q(t.policyVersion)}, ${q(t.category)}, ${q(t.classification)},
        'expiry', ${action(t)}, tbl, encode(sha256(convert_to('record:' || tbl || ':' || id, 'UTF8')), 'hex'),
        encode(sha256(convert_to('subject:' || s, 'UTF8')), 'hex'), ${fields(t)}, NULL, 'bench', now(), '',
        encode(sha256(convert_to(tbl || id, 'UTF8')), 'hex')
      FROM gone;
    COMMIT;
    i := i + batch;
  END LOOP;
END $$;`;
}

/** HMAC-SHA256 in SQL from the key's pads (RFC 2104), hex: what lethe's hmacHex computes. */
const HMAC_FUNCTION = `CREATE OR REPLACE FUNCTION bench_hmac(ipad bytea, opad bytea, msg text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT encode(sha256(opad || sha256(ipad || convert_to(msg, 'UTF8'))), 'hex') $$;`;

export function floorProcedure(t: Target): string {
  if (t.anonymise) throw new Error('the floor procedure writes delete evidence only');
  // canonicalJSON of the row's fixed-order array (src/evidence/hash.ts); the bench's values need no escaping.
  const payload = `'["' || b || '",' || (j - 1) || ',"' || r || '",${JSON.stringify(t.policyId)},${JSON.stringify(t.policyVersion)},${
    JSON.stringify(t.category)},${JSON.stringify(t.classification)},"expiry","delete","' || tbls[j] || '","' || rrefs[j] || '",' ||
    coalesce('"' || srefs[j] || '"', 'null') || ',null,null,"bench","' || at || '"]'`;
  return `${HMAC_FUNCTION}
CREATE OR REPLACE PROCEDURE bench_floor(batch int, ref_ipad bytea, ref_opad bytea, ev_ipad bytea, ev_opad bytea) LANGUAGE plpgsql AS $$
DECLARE keys ${t.keyType}[]; subjects text[]; i int := 1; j int; b uuid; r uuid := gen_random_uuid();
  tbls text[]; rrefs text[]; srefs text[]; hashes text[]; prev text; last_seal text; sealed text; at text;
BEGIN
  -- Held subjects never go: their refs are compared as lethe compares them.
  SELECT array_agg(k), array_agg(s) INTO keys, subjects FROM (${dueSet(t, `AND NOT EXISTS (SELECT 1 FROM lethe.holds h
    WHERE h.released_at IS NULL AND h.subject_ref = bench_hmac(ref_ipad, ref_opad, 'subject:' || t.${t.subject}))`)}) x(k, s);
  WHILE i <= coalesce(cardinality(keys), 0) LOOP
    b := gen_random_uuid();
    at := to_char(date_trunc('milliseconds', clock_timestamp()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    WITH ${destroyCte(t)}
    SELECT array_agg(tbl), array_agg(bench_hmac(ref_ipad, ref_opad, 'record:' || tbl || ':' || id)),
        array_agg(bench_hmac(ref_ipad, ref_opad, 'subject:' || s))
      INTO tbls, rrefs, srefs FROM gone;
    IF tbls IS NOT NULL THEN
      prev := bench_hmac(ev_ipad, ev_opad, 'batch:' || b);
      hashes := ARRAY[]::text[];
      FOR j IN 1..cardinality(tbls) LOOP
        prev := bench_hmac(ev_ipad, ev_opad, prev || '|' || ${payload});
        hashes := hashes || prev;
      END LOOP;
      INSERT INTO lethe.evidence (batch_id, batch_pos, run_id, policy_id, policy_version, category, classification,
          trigger, action, "table", record_ref, subject_ref, fields, partner, actor, occurred_at, prev_hash, hash)
        SELECT b, u.n - 1, r, ${q(t.policyId)}, ${q(t.policyVersion)}, ${q(t.category)}, ${q(t.classification)},
          'expiry', 'delete', u.tbl, u.rref, u.sref, NULL, NULL, 'bench', at::timestamptz,
          coalesce(lag(u.h) OVER (ORDER BY u.n), bench_hmac(ev_ipad, ev_opad, 'batch:' || b)), u.h
        FROM unnest(tbls, rrefs, srefs, hashes) WITH ORDINALITY AS u(tbl, rref, sref, h, n);
      PERFORM pg_advisory_xact_lock(${LOCKS.evidenceChain});
      SELECT hash INTO last_seal FROM lethe.evidence_seals ORDER BY seq DESC LIMIT 1;
      last_seal := coalesce(last_seal, repeat('0', 64));
      sealed := bench_hmac(ev_ipad, ev_opad, last_seal || '|' || b || '|' || cardinality(tbls) || '|' || prev || '|' || at);
      INSERT INTO lethe.evidence_seals (batch_id, records, last_hash, prev_hash, hash, sealed_at)
        VALUES (b, cardinality(tbls), prev, last_seal, sealed, at::timestamptz);
    END IF;
    COMMIT;
    i := i + batch;
  END LOOP;
END $$;`;
}

/** The pads of a 32-byte key (RFC 2104: zero-padded to the 64-byte block). */
function pads(key: Buffer): [Buffer, Buffer] {
  const ipad = Buffer.alloc(64, 0x36);
  const opad = Buffer.alloc(64, 0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i]! ^= key[i]!;
    opad[i]! ^= key[i]!;
  }
  return [ipad, opad];
}

async function timed(url: string, t: Target, install: string, call: string, params: unknown[]): Promise<YardstickResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(install);
    const count = async () => Number((await c.query(`SELECT count(*) AS n FROM ${t.table} t WHERE ${t.due}`)).rows[0].n);
    const childCount = async () => {
      let n = 0;
      for (const ch of t.children) n += Number((await c.query(`SELECT count(*) AS n FROM ${ch.table}`)).rows[0].n);
      return n;
    };
    const [before, childrenBefore] = [await count(), await childCount()];
    await settle();
    const started = process.hrtime.bigint();
    await c.query(call, params);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { records: before - await count(), children: childrenBefore - await childCount(), seconds };
  } finally {
    await c.end();
  }
}

export function runMinimal(url: string, t: Target, batch = 10_000): Promise<YardstickResult> {
  return timed(url, t, minimalProcedure(t), 'CALL bench_minimal($1)', [batch]);
}

export function runFloor(url: string, t: Target, secret: string, batch = 10_000): Promise<YardstickResult> {
  const keys = deriveKeys(secret);
  return timed(url, t, floorProcedure(t), 'CALL bench_floor($1, $2, $3, $4, $5)', [batch, ...pads(keys.refKey), ...pads(keys.evidenceKey)]);
}
