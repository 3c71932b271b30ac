// The lender's records with a retention rule of their own: negative credit information, sales
// recordings, face verification images, complaints and access logs. Builders of `INSERT …
// SELECT` text over id ranges, as in people.ts; `p.now` is the seeding instant.
//
// Their clocks are spread so that each policy in policies/ finds both records past their
// deadline and records not yet due: they hang off loans, applications and customers whose own
// dates reach from today back fourteen years (see people.ts and loans.ts).
import {
  ACCESS_ACTIONS, COMPLAINT_CATEGORIES, COMPLAINT_CHANNELS, COMPLAINT_TEXTS, USER_AGENTS, type Rng,
} from './vocab.ts';
import type { Range } from './people.ts';

const days = (x: string) => `(${x}) * interval '1 day'`;

/**
 * Adverse records reported for loans in `loans`: a default for each loan left unsettled two
 * years after it opened (the behaviour goes on: no end), and a late repayment for 20% of the
 * settled ones, which ended when the loan was settled.
 */
export function creditNegativeSql(r: Rng, loans: Range, base: number): string {
  const k = 'l.id';
  return `INSERT INTO public.credit_negative_records (id, customer_id, loan_id, kind, overdue_amount, reported_at, behaviour_ended_at)
SELECT ${base} + row_number() OVER (ORDER BY l.id), l.customer_id, l.id,
  CASE WHEN l.settled_at IS NULL THEN 'default' ELSE 'overdue' END,
  round(l.principal * (0.05 + ${r.unit(k, 80)} * 0.5)::numeric, 2),
  date_trunc('second', l.opened_at + ${days(`35 + ${r.unit(k, 81)} * 60`)}),
  l.settled_at
FROM p, public.loans l
WHERE l.id BETWEEN ${loans.lo} AND ${loans.hi}
  AND ((l.settled_at IS NULL AND l.opened_at < p.now - interval '2 years')
    OR (l.settled_at IS NOT NULL AND ${r.unit(k, 82)} < 0.2))`;
}

/**
 * A recorded sales call (or video session) for 60% of the loans in `loans`, the day before the
 * loan opened; the contract it sold ends when the loan is closed.
 */
export function salesRecordingsSql(r: Rng, loans: Range, base: number): string {
  const k = 'l.id';
  return `INSERT INTO public.sales_recordings (id, customer_id, loan_id, channel, storage_uri, duration_seconds, recorded_at, contract_ended_at)
SELECT ${base} + row_number() OVER (ORDER BY l.id), l.customer_id, l.id,
  CASE WHEN ${r.below(k, 83, 4)} = 0 THEN 'video' ELSE 'phone' END,
  'oss://lender-sales-recordings/' || to_char(l.opened_at AT TIME ZONE 'UTC', 'YYYY/MM/DD') || '/'
    || md5(l.id::text || ':rec:' || ${r.below('0', 84, 1_000_000)}::text) || '.m4a',
  90 + ${r.below(k, 85, 1200)},
  date_trunc('second', l.opened_at - ${days(`0.5 + ${r.unit(k, 86)}`)}),
  l.closed_at
FROM public.loans l
WHERE l.id BETWEEN ${loans.lo} AND ${loans.hi} AND ${r.unit(k, 87)} < 0.6`;
}

/** Copies each customer's latest face-match outcome into their KYC record (the image itself goes after 7 days). */
export function kycFaceOutcomeSql(customers: Range): string {
  return `UPDATE public.kyc_records k SET face_match_result = f.result, face_match_at = f.verified_at
FROM (SELECT DISTINCT ON (customer_id) customer_id, result, verified_at FROM public.face_verifications
      WHERE customer_id BETWEEN ${customers.lo} AND ${customers.hi} ORDER BY customer_id, verified_at DESC, id DESC) f
WHERE k.customer_id = f.customer_id`;
}

/** A face match for each application in `apps`, minutes after it was filed; 8% fail. */
export function faceVerificationsSql(r: Rng, apps: Range, base: number): string {
  const k = 'a.id';
  return `INSERT INTO public.face_verifications (id, customer_id, image_uri, similarity, result, verified_at)
SELECT ${base} + row_number() OVER (ORDER BY a.id), a.customer_id,
  'oss://lender-face/' || to_char(a.applied_at AT TIME ZONE 'UTC', 'YYYY/MM/DD') || '/'
    || md5(a.id::text || ':face:' || ${r.below('0', 88, 1_000_000)}::text) || '.jpg',
  round((CASE WHEN fail THEN 0.30 + ${r.unit(k, 89)} * 0.45 ELSE 0.82 + ${r.unit(k, 89)} * 0.179 END)::numeric, 4),
  CASE WHEN fail THEN 'fail' ELSE 'pass' END,
  a.applied_at + (2 + ${r.below(k, 90, 600)}) * interval '1 second'
FROM (SELECT a.*, ${r.unit(k, 91)} < 0.08 AS fail FROM public.loan_applications a
      WHERE a.id BETWEEN ${apps.lo} AND ${apps.hi} OFFSET 0) a`;
}

/**
 * A complaint from 8% of customers in `customers`, received during the relationship; open
 * (no closed_at) when received in the last two weeks, otherwise closed 1–45 days later.
 */
export function complaintsSql(r: Rng, customers: Range, base: number): string {
  const k = 'c.id';
  return `INSERT INTO public.complaints (id, customer_id, channel, category, summary, received_at, closed_at)
SELECT ${base} + row_number() OVER (ORDER BY c.id), c.id, channel, category,
  c.full_name || '（尾号' || right(coalesce(c.phone, '0000'), 4) || '）' || text, received_at,
  CASE WHEN received_at < now - interval '14 days'
       THEN least(date_trunc('second', received_at + ${days(`1 + ${r.unit(k, 92)} * 44`)}), now) END
FROM (
  SELECT c.*, p.now, ${r.pick(COMPLAINT_CHANNELS, k, 93)} AS channel, ${r.pick(COMPLAINT_CATEGORIES, k, 94)} AS category,
    ${r.pick(COMPLAINT_TEXTS, k, 95)} AS text,
    date_trunc('second', c.created_at + ${r.unit(k, 96)} * (coalesce(c.relationship_ended_at, p.now) - c.created_at)) AS received_at
  FROM p, public.customers c
  WHERE c.id BETWEEN ${customers.lo} AND ${customers.hi} AND ${r.unit(k, 97)} < 0.08
  OFFSET 0
) c`;
}

/** One to five access log lines per customer over the last year of the relationship. */
export function accessLogsSql(r: Rng, customers: Range, base: number): string {
  const e = '(c.id * 8 + n)';
  const octet = (salt: number) => `${r.below(e, salt, 256)}::text`;
  return `INSERT INTO public.access_logs (id, customer_id, actor, action, ip, user_agent, written_at)
SELECT ${base} + row_number() OVER (ORDER BY c.id, n), c.id,
  CASE WHEN action = 'agent_view_profile' THEN 'agent-' || lpad(${r.below(e, 98, 500)}::text, 4, '0') ELSE 'customer' END,
  action,
  ((1 + ${r.below(e, 99, 222)})::text || '.' || ${octet(100)} || '.' || ${octet(101)} || '.' || ${octet(102)})::inet,
  ${r.pick(USER_AGENTS, e, 103)},
  date_trunc('second', greatest(c.created_at, coalesce(c.relationship_ended_at, p.now) - ${days(`${r.unit(e, 104)} * 365`)}))
FROM p, public.customers c CROSS JOIN LATERAL generate_series(1, 1 + ${r.below('c.id', 105, 5)}) AS n
  CROSS JOIN LATERAL (SELECT ${r.pick(ACCESS_ACTIONS, e, 106)} AS action) x
WHERE c.id BETWEEN ${customers.lo} AND ${customers.hi}`;
}

/**
 * The paper archive register: the signed application form of half the rejected applications in
 * `apps`, boxed the day after the decision (85% paper, 10% a removable disk of scans, 5% tape).
 * The box's file is closed when the application is decided: the clock of paper-loan-applications.
 */
export function paperArchiveSql(r: Rng, apps: Range, base: number): string {
  const k = 'a.id';
  const media = r.unit(k, 140);
  return `INSERT INTO public.paper_archive_boxes (id, customer_id, box_code, location, media_class, document_kind, archived_at, closed_at)
SELECT ${base} + row_number() OVER (ORDER BY a.id), a.customer_id,
  'BX-' || upper(substr(md5(a.id::text || ':box'), 1, 10)),
  'SH-ARCH-01/R' || lpad((1 + ${r.below(k, 141, 40)})::text, 2, '0') || '/S' || lpad((1 + ${r.below(k, 142, 12)})::text, 2, '0'),
  CASE WHEN ${media} < 0.85 THEN 'paper' WHEN ${media} < 0.95 THEN 'disk' ELSE 'magnetic' END,
  'rejected_application_form',
  date_trunc('second', a.applied_at + interval '1 day'),
  a.decided_at
FROM public.loan_applications a
WHERE a.id BETWEEN ${apps.lo} AND ${apps.hi} AND a.status = 'rejected' AND ${r.unit(k, 143)} < 0.5`;
}
