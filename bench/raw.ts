// The yardstick: raw PostgreSQL doing the same destruction on a copy of the same data, in one
// session: batched DELETE … RETURNING feeding an evidence INSERT, hashes computed in the server.
import pg from 'pg';

export interface RawResult {
  records: number;
  children: number;
  seconds: number;
}

export async function rawDestroy(url: string, cutoff: Date, batchSize: number): Promise<RawResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE TABLE bench_raw_evidence (LIKE lethe.evidence INCLUDING ALL)');
    const started = process.hrtime.bigint();
    let records = 0;
    let children = 0;
    // Keyset pagination on (decided_at, id), as lethe's scan does: the fair way to walk a table
    // while deleting from it (ORDER BY … LIMIT alone re-walks every dead index entry each time).
    let after: { d: string; id: string } = { d: '-infinity', id: '0' };
    for (;;) {
      await c.query('BEGIN');
      const r = await c.query<{ records: string; children: string; last_d: string | null; last_id: string | null }>(`
        WITH victims AS (
          SELECT id, customer_id, decided_at FROM loan_applications
          WHERE status = 'rejected' AND decided_at IS NOT NULL AND decided_at <= $1
            AND (decided_at, id) > ($3::timestamptz, $4::bigint)
          ORDER BY decided_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
        docs AS (DELETE FROM loan_application_documents d USING victims v WHERE d.application_id = v.id
          RETURNING d.id, v.customer_id),
        apps AS (DELETE FROM loan_applications a USING victims v WHERE a.id = v.id
          RETURNING a.id, a.customer_id),
        gone AS (
          SELECT 'public.loan_application_documents' AS tbl, id, customer_id FROM docs
          UNION ALL SELECT 'public.loan_applications', id, customer_id FROM apps),
        ev AS (INSERT INTO bench_raw_evidence (batch_id, batch_pos, run_id, policy_id, policy_version, category,
            classification, trigger, action, "table", record_ref, subject_ref, fields, partner, actor, occurred_at, prev_hash, hash)
          SELECT gen_random_uuid(), row_number() OVER (), gen_random_uuid(), 'rejected-loan-applications', 'v', 'loan-application',
            'C3', 'expiry', 'delete', tbl,
            encode(sha256(convert_to('record:' || tbl || ':' || id, 'UTF8')), 'hex'),
            encode(sha256(convert_to('subject:' || customer_id, 'UTF8')), 'hex'),
            NULL, NULL, 'bench', now(), '', encode(sha256(convert_to(tbl || id, 'UTF8')), 'hex')
          FROM gone RETURNING "table")
        SELECT count(*) FILTER (WHERE "table" = 'public.loan_applications')::text AS records,
               count(*) FILTER (WHERE "table" <> 'public.loan_applications')::text AS children,
               (SELECT max(decided_at)::text FROM victims) AS last_d,
               (SELECT id::text FROM victims ORDER BY decided_at DESC, id DESC LIMIT 1) AS last_id FROM ev`,
        [cutoff, batchSize, after.d, after.id]);
      await c.query('COMMIT');
      const n = Number(r.rows[0]!.records);
      if (n === 0) break;
      after = { d: r.rows[0]!.last_d!, id: r.rows[0]!.last_id! };
      records += n;
      children += Number(r.rows[0]!.children);
    }
    return { records, children, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await c.end();
  }
}
