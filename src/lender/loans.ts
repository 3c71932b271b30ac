// Loan applications, their documents, loans and transactions: builders of `INSERT … SELECT`
// text over id ranges, as in people.ts (`OFFSET 0` fences as explained there). `p.now` is the
// seeding instant.
//
// Rejected applications are the retention policy everyone tests first, so their decision
// dates are shaped on purpose: 60% of current customers' rejections were decided 0.5–28 days
// ago (not yet due under P30D), the rest at least 32 days ago (due), so that no record sits
// within two days of the boundary and a clock skew cannot flip one.
import { BANK_BINS, DOCUMENT_KINDS, textArray, type Rng } from './vocab.ts';
import { fullName, type Range } from './people.ts';

const days = (x: string) => `(${x}) * interval '1 day'`;

/** One to three applications per customer, ids from `base + 1` in (customer, n) order. */
export function applicationsSql(r: Rng, customers: Range, base: number): string {
  const k = 'id';
  const status = r.unit(k, 40);
  return `INSERT INTO public.loan_applications (id, customer_id, status, amount, applied_at, decided_at)
SELECT id, customer_id, status, amount,
  date_trunc('second', CASE WHEN status = 'pending' THEN now - ${days(`${r.unit(k, 41)} * 14`)}
    ELSE decided_at - (1 + ${r.unit(k, 42)} * 71) * interval '1 hour' END),
  date_trunc('second', decided_at)
FROM (
  SELECT id, customer_id, status, now, (10 + ${r.below(k, 43, 1990)}) * 100 AS amount,
    CASE
      WHEN status = 'pending' THEN NULL
      WHEN status = 'rejected' AND ended_at IS NULL AND ${r.unit(k, 44)} < 0.6
        THEN now - ${days(`0.5 + ${r.unit(k, 45)} * 27.5`)}
      ELSE created_at + interval '3 days'
        + ${r.unit(k, 45)} * (coalesce(ended_at, now) - interval '32 days' - created_at - interval '3 days')
    END AS decided_at
  FROM (
    SELECT id, customer_id, now, created_at, ended_at,
      CASE WHEN ${status} < 0.45 THEN 'approved' WHEN ${status} < 0.80 THEN 'rejected'
           WHEN ${status} < 0.88 OR ended_at IS NOT NULL THEN 'withdrawn' ELSE 'pending' END AS status
    FROM (
      SELECT ${base} + row_number() OVER (ORDER BY c.id, n) AS id, c.id AS customer_id, p.now,
        c.created_at, c.relationship_ended_at AS ended_at
      FROM p, public.customers c CROSS JOIN LATERAL generate_series(1, 1 + ${r.below('c.id', 46, 3)}) AS n
      WHERE c.id BETWEEN ${customers.lo} AND ${customers.hi}
    ) a
    OFFSET 0
  ) b
  OFFSET 0
) c`;
}

/**
 * Exactly `ids.hi - ids.lo + 1` applications spread round-robin over `customers`, of which
 * exactly `due` are rejected and decided at least 32 days before now (spread evenly through
 * the range, so any chunk holds its share). Of the rest: 40% rejected within the last 28 days,
 * 35% approved, 10% withdrawn, 15% pending, none of them due under a P30D rejected policy.
 */
export function benchApplicationsSql(r: Rng, ids: Range, first: number, total: number, due: number, customers: Range): string {
  const n = `(id - ${first} + 1)`;
  const isDue = `(${n} * ${due} / ${total}) > ((${n} - 1) * ${due} / ${total})`;
  const span = customers.hi - customers.lo + 1;
  return `INSERT INTO public.loan_applications (id, customer_id, status, amount, applied_at, decided_at)
SELECT id, customer_id, status, amount,
  date_trunc('second', coalesce(decided_at, now - ${days(`${r.unit('id', 51)} * 14`)}) - interval '2 hours'),
  date_trunc('second', decided_at)
FROM (
  SELECT id, ${customers.lo} + (id - ${first}) % ${span} AS customer_id, now,
    (10 + ${r.below('id', 52, 1990)}) * 100 AS amount,
    CASE WHEN due OR draw < 0.40 THEN 'rejected' WHEN draw < 0.75 THEN 'approved'
         WHEN draw < 0.85 THEN 'withdrawn' ELSE 'pending' END AS status,
    CASE WHEN due THEN now - ${days(`32 + ${r.unit('id', 53)} * 700`)}
         WHEN draw < 0.40 THEN now - ${days(`0.5 + ${r.unit('id', 53)} * 27.5`)}
         WHEN draw < 0.85 THEN now - ${days(`1 + ${r.unit('id', 53)} * 1000`)}
    END AS decided_at
  FROM (
    SELECT id, p.now, ${isDue} AS due, ${r.unit('id', 50)} AS draw
    FROM p, generate_series(${ids.lo}::bigint, ${ids.hi}::bigint) AS id
    OFFSET 0
  ) s
  OFFSET 0
) a`;
}

/** Documents for applications in `apps`: `perApplication` fixed, or 1–3 when omitted. */
export function documentsSql(r: Rng, apps: Range, base: number, perApplication?: number): string {
  const count = perApplication ?? `1 + ${r.below('a.id', 60, 3)}`;
  return `INSERT INTO public.loan_application_documents (id, application_id, kind, storage_uri, uploaded_at)
SELECT ${base} + row_number() OVER (ORDER BY a.id, n), a.id, ${textArray(DOCUMENT_KINDS)}[n],
  'oss://lender-loan-docs/' || to_char(a.applied_at AT TIME ZONE 'UTC', 'YYYY/MM/DD') || '/'
    || md5(a.id::text || ':' || n::text || ':' || ${r.below('0', 61, 1_000_000)}::text) || '.jpg',
  a.applied_at + n * interval '2 minutes'
FROM public.loan_applications a CROSS JOIN LATERAL generate_series(1, ${count}) AS n
WHERE a.id BETWEEN ${apps.lo} AND ${apps.hi}`;
}

/**
 * A loan for each approved application in `apps`; 90% of those past term are settled. The
 * repayment account is a 19-digit UnionPay-style card number (issuer BIN + 13 digits).
 */
export function loansSql(r: Rng, apps: Range, base: number): string {
  const k = 'application_id';
  return `INSERT INTO public.loans (id, customer_id, application_id, principal, opened_at, settled_at, closed_at,
  repayment_account, contract_uri)
SELECT id, customer_id, application_id, principal, opened_at, settled_at,
  CASE WHEN settled_at IS NOT NULL AND ${r.unit(k, 62)} < 0.7
        AND settled_at + ${days(`${r.unit(k, 63)} * 30`)} < now
       THEN date_trunc('second', settled_at + ${days(`${r.unit(k, 63)} * 30`)}) END,
  ${r.pick(BANK_BINS, k, 72)} || lpad(${r.below(k, 73, 1_000_000_000)}::text, 9, '0') || lpad(${r.below(k, 74, 10_000)}::text, 4, '0'),
  'oss://lender-contracts/' || to_char(opened_at AT TIME ZONE 'UTC', 'YYYY/MM') || '/'
    || md5(id::text || ':' || ${r.below('0', 75, 1_000_000)}::text) || '.pdf'
FROM (
  SELECT id, customer_id, application_id, principal, opened_at, now,
    CASE WHEN term_end < now AND ${r.unit(k, 64)} < 0.9 THEN term_end END AS settled_at
  FROM (
    SELECT ${base} + row_number() OVER (ORDER BY a.id) AS id, a.customer_id, a.id AS application_id,
      a.amount AS principal, p.now, date_trunc('second', a.decided_at + ${days(`1 + ${r.unit('a.id', 65)} * 2`)}) AS opened_at,
      date_trunc('second', a.decided_at + ${days(`1 + ${r.unit('a.id', 65)} * 2`)})
        + ${textArray(['3', '6', '12', '24'])}[1 + ${r.below('a.id', 66, 4)}]::int * interval '1 month' AS term_end
    FROM p, public.loan_applications a
    WHERE a.id BETWEEN ${apps.lo} AND ${apps.hi} AND a.status = 'approved'
    OFFSET 0
  ) a
  OFFSET 0
) b`;
}

/**
 * The servicing system's note on an approved application that its loan was repaid and closed:
 * the clock of approved-loan-applications. A loan closed without being settled leaves it NULL.
 */
export function loanClosedSql(loans: Range): string {
  return `UPDATE public.loan_applications a SET loan_closed_at = l.closed_at
FROM public.loans l
WHERE l.application_id = a.id AND l.id BETWEEN ${loans.lo} AND ${loans.hi}
  AND l.settled_at IS NOT NULL AND l.closed_at IS NOT NULL`;
}

/** A disbursement and one to three repayments per loan in `loans`. */
export function transactionsSql(r: Rng, loans: Range, base: number): string {
  const e = '(l.id * 4 + n)';
  return `INSERT INTO public.transactions (id, customer_id, loan_id, amount, occurred_at, counterparty_name)
SELECT ${base} + row_number() OVER (ORDER BY l.id, n), l.customer_id, l.id,
  CASE WHEN n = 1 THEN l.principal ELSE round(l.principal / (m - 1), 2) END,
  CASE WHEN n = 1 THEN l.opened_at
       ELSE least(l.opened_at + (n - 1) * interval '30 days', coalesce(l.settled_at, date_trunc('second', p.now - interval '1 hour'))) END,
  CASE WHEN n = 1 THEN NULL ELSE ${fullName(r, e, 67)} END
FROM p, (SELECT l.*, 2 + ${r.below('l.id', 71, 3)} AS m FROM public.loans l WHERE l.id BETWEEN ${loans.lo} AND ${loans.hi}) l
  CROSS JOIN LATERAL generate_series(1, l.m) AS n`;
}
