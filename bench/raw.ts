// The yardstick: raw PostgreSQL doing the same destruction on a copy of the same data, in one
// session: batched DELETE/UPDATE … RETURNING feeding an evidence INSERT, hashes computed in the
// server. Keyset pagination on (clock, id), as lethe's scan does: the fair way to walk a table
// while changing it (ORDER BY … LIMIT alone re-walks every dead index entry each time).
import pg from 'pg';

export interface RawResult {
  records: number;
  children: number;
  seconds: number;
}

/** An evidence row per row of CTE `gone` (tbl, id, customer_id), as lethe writes them. */
function evidenceInsert(policy: string, category: string, action: string, fields: string): string {
  return `INSERT INTO bench_raw_evidence (batch_id, batch_pos, run_id, policy_id, policy_version, category,
      classification, trigger, action, "table", record_ref, subject_ref, fields, partner, actor, occurred_at, prev_hash, hash)
    SELECT gen_random_uuid(), row_number() OVER (), gen_random_uuid(), '${policy}', 'v', '${category}',
      'C3', 'expiry', '${action}', tbl,
      encode(sha256(convert_to('record:' || tbl || ':' || id, 'UTF8')), 'hex'),
      encode(sha256(convert_to('subject:' || customer_id, 'UTF8')), 'hex'),
      ${fields}, NULL, 'bench', now(), '', encode(sha256(convert_to(tbl || id, 'UTF8')), 'hex')
    FROM gone RETURNING "table"`;
}

interface Page { records: string; children: string; last_d: string | null; last_id: string | null }

/** Runs `page` (params: cutoff, batch size, last clock, last id) until it finds nothing. */
async function paginate(url: string, cutoff: Date, batchSize: number, page: string): Promise<RawResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE TABLE IF NOT EXISTS bench_raw_evidence (LIKE lethe.evidence INCLUDING ALL)');
    const started = process.hrtime.bigint();
    let records = 0;
    let children = 0;
    let after = { d: '-infinity', id: '0' };
    for (;;) {
      await c.query('BEGIN');
      const r = await c.query<Page>(page, [cutoff, batchSize, after.d, after.id]);
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

/** Deletes the due rejected applications and their documents. */
export function rawDestroy(url: string, cutoff: Date, batchSize: number): Promise<RawResult> {
  return paginate(url, cutoff, batchSize, `
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
    ev AS (${evidenceInsert('rejected-loan-applications', 'loan-application', 'delete', 'NULL')})
    SELECT count(*) FILTER (WHERE "table" = 'public.loan_applications')::text AS records,
           count(*) FILTER (WHERE "table" <> 'public.loan_applications')::text AS children,
           (SELECT max(decided_at)::text FROM victims) AS last_d,
           (SELECT id::text FROM victims ORDER BY decided_at DESC, id DESC LIMIT 1) AS last_id FROM ev`);
}

/** Anonymises the customers whose relationship ended before the cutoff, as the bench policy does. */
export function rawAnonymise(url: string, cutoff: Date, batchSize: number, key: string): Promise<RawResult> {
  const k = key.replace(/'/g, "''");
  return paginate(url, cutoff, batchSize, `
    WITH victims AS (
      SELECT id, relationship_ended_at AS d FROM customers
      WHERE relationship_ended_at IS NOT NULL AND relationship_ended_at <= $1
        AND (relationship_ended_at, id) > ($3::timestamptz, $4::bigint)
        AND (full_name <> '***' OR phone IS NOT NULL OR email !~ '^[0-9a-f]{64}$'
          OR birth_date <> date_trunc('year', birth_date) OR income % 10000 <> 0
          OR id_number <> left(id_number, 6) || repeat('*', greatest(char_length(id_number) - 6, 0)))
      ORDER BY relationship_ended_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
    changed AS (UPDATE customers c SET full_name = '***', phone = NULL,
        id_number = left(c.id_number, 6) || repeat('*', greatest(char_length(c.id_number) - 6, 0)),
        birth_date = date_trunc('year', c.birth_date)::date, income = (c.income / 10000) * 10000,
        email = encode(sha256(convert_to('${k}' || 'value:' || c.email, 'UTF8')), 'hex')
      FROM victims v WHERE c.id = v.id RETURNING c.id, c.id AS customer_id),
    gone AS (SELECT 'public.customers' AS tbl, id, customer_id FROM changed),
    ev AS (${evidenceInsert('customer-profile-anonymise', 'customer-profile', 'anonymise',
      `'{"full_name":"redact","phone":"null","id_number":"keep_prefix:6","birth_date":"generalise:year","income":"bucket:10000","email":"hmac"}'::jsonb`)})
    SELECT count(*)::text AS records, '0' AS children,
           (SELECT max(d)::text FROM victims) AS last_d,
           (SELECT id::text FROM victims ORDER BY d DESC, id DESC LIMIT 1) AS last_id FROM ev`);
}
