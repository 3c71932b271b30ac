// Customers and the rows that hang off a customer one-to-one or one-to-few (KYC, consents,
// marketing profile, device risk events). Each builder returns the text of one
// `INSERT … SELECT` over a contiguous id range; `p.now` is the seeding instant (see seed.ts).
//
// `OFFSET 0` keeps PostgreSQL from flattening a subquery: flattened, every reference to one of
// its computed columns would recompute it (and its hashes) instead of reading it once.
//
// Time shape, relative to now: a quarter of customers ended their relationship 0–14 years ago
// (so part of them are past the 10-year AML floor), the rest joined 40 days–8 years ago;
// everyone was at least 18 when they joined.
import {
  EMAIL_DOMAINS, GIVEN_CHARS, INTERESTS, PHONE_PREFIXES, REGIONS, SEGMENTS, SURNAMES,
  idCheckDigit, textArray, type Rng,
} from './vocab.ts';

export interface Range {
  /** First id of the range. */
  lo: number;
  /** Last id of the range (inclusive). */
  hi: number;
}

/** SQL text: a realistic full name, surname and one or two given characters. */
export function fullName(r: Rng, key: string, salt: number): string {
  const surname = r.pick(SURNAMES.map(([s]) => s), key, salt);
  const second = `CASE WHEN ${r.below(key, salt + 2, 4)} = 0 THEN '' ELSE ${r.pick(GIVEN_CHARS, key, salt + 3)} END`;
  return `(${surname} || ${r.pick(GIVEN_CHARS, key, salt + 1)} || ${second})`;
}

const days = (x: string) => `(${x}) * interval '1 day'`;

/** Customers with ids base+lo … base+hi: the ids are the series, nothing to look up. */
export function customersSql(r: Rng, ids: Range): string {
  const k = 'id';
  const ended = `${r.unit(k, 10)} < 0.25`;
  return `INSERT INTO public.customers
  (id, full_name, phone, id_number, email, birth_date, income, city, created_at, relationship_ended_at)
SELECT id, full_name, phone, id17 || ${idCheckDigit('ri', 'ymd', 'seq')}, email, birth_date, income, city,
  date_trunc('second', now - ${days('created_days')}),
  date_trunc('second', now - ${days('ended_days')})
FROM (
  SELECT id, now, created_days, ended_days, birth_date, income, ri, seq, to_char(birth_date, 'YYYYMMDD')::int AS ymd,
    ${textArray(SURNAMES.map(([s]) => s))}[si] || given AS full_name,
    ${r.pick(PHONE_PREFIXES, k, 3)} || lpad(((id * 48271937 + ${r.below('0', 4, 100_000_000)}) % 100000000)::text, 8, '0') AS phone,
    ${textArray(REGIONS.map(([c]) => c))}[ri] || to_char(birth_date, 'YYYYMMDD') || lpad(seq::text, 3, '0') AS id17,
    ${textArray(SURNAMES.map(([, p]) => p))}[si] || ${r.below(k, 6, 10000)}::text || '@' || ${r.pick(EMAIL_DOMAINS, k, 7)} AS email,
    ${textArray(REGIONS.map(([, c]) => c))}[ri] AS city
  FROM (
    SELECT id, now, created_days, ended_days,
      1 + ${r.below(k, 1, SURNAMES.length)} AS si,
      1 + ${r.below(k, 2, REGIONS.length)} AS ri,
      ${r.pick(GIVEN_CHARS, k, 8)} || CASE WHEN ${r.below(k, 9, 4)} = 0 THEN '' ELSE ${r.pick(GIVEN_CHARS, k, 11)} END AS given,
      (now AT TIME ZONE 'UTC')::date - created_days::int - (18 * 365 + ${r.below(k, 12, 40 * 365)}) AS birth_date,
      ${r.below(k, 5, 1000)} AS seq,
      36000 + floor(power(${r.unit(k, 13)}, 2) * 5640)::int * 100 AS income
    FROM (
      SELECT id, p.now,
        CASE WHEN ${ended} THEN 1 + ${r.unit(k, 14)} * 14 * 365 END AS ended_days,
        CASE WHEN ${ended} THEN 180 + ${r.unit(k, 14)} * 14 * 365 + ${r.unit(k, 15)} * 1800
             ELSE 40 + ${r.unit(k, 15)} * 2960 END AS created_days
      FROM p, generate_series(${ids.lo}::bigint, ${ids.hi}::bigint) AS id
      OFFSET 0
    ) t
    OFFSET 0
  ) a
  OFFSET 0
) b`;
}

/** One KYC record per customer in `customers`, ids from `base + 1` in customer order. */
export function kycSql(r: Rng, customers: Range, base: number): string {
  return `INSERT INTO public.kyc_records (id, customer_id, id_number, full_name, verified_at, relationship_ended_at)
SELECT ${base} + row_number() OVER (ORDER BY c.id), c.id, c.id_number, c.full_name,
  c.created_at + (60 + ${r.below('c.id', 16, 3600)}) * interval '1 second', c.relationship_ended_at
FROM public.customers c WHERE c.id BETWEEN ${customers.lo} AND ${customers.hi}`;
}

/**
 * Two consents per customer: credit reporting (never withdrawn here) and marketing, withdrawn
 * when the relationship ended or, for 30% of current customers, some time in the last year.
 */
export function consentsSql(r: Rng, customers: Range, base: number): string {
  const k = 'c.id';
  return `INSERT INTO public.consents (id, customer_id, purpose, granted_at, withdrawn_at)
SELECT ${base} + row_number() OVER (ORDER BY c.id, n), c.id,
  CASE n WHEN 1 THEN 'credit_report' ELSE 'marketing' END,
  c.created_at + n * interval '1 minute',
  CASE WHEN n = 1 THEN NULL
       WHEN c.relationship_ended_at IS NOT NULL THEN c.relationship_ended_at
       WHEN ${r.unit(k, 17)} < 0.3 THEN date_trunc('second',
         greatest(c.created_at + interval '1 day', p.now - ${days(`${r.unit(k, 18)} * 365`)}))
  END
FROM p, public.customers c CROSS JOIN generate_series(1, 2) AS n
WHERE c.id BETWEEN ${customers.lo} AND ${customers.hi}`;
}

/** A marketing profile for 80% of customers, copying their contact details. */
export function marketingProfilesSql(r: Rng, customers: Range, base: number): string {
  const k = 'c.id';
  return `INSERT INTO public.marketing_profiles (id, customer_id, phone, email, segment, interests, created_at, updated_at)
SELECT ${base} + row_number() OVER (ORDER BY c.id), c.id, c.phone, c.email,
  ${r.pick(SEGMENTS, k, 19)}, ${r.pick(INTERESTS, k, 20)} || ',' || ${r.pick(INTERESTS, k, 21)},
  c.created_at + interval '1 day',
  date_trunc('second', c.created_at + interval '1 day'
    + ${r.unit(k, 22)} * greatest(coalesce(c.relationship_ended_at, p.now) - c.created_at - interval '1 day', interval '0'))
FROM p, public.customers c
WHERE c.id BETWEEN ${customers.lo} AND ${customers.hi} AND ${r.below(k, 23, 10)} < 8`;
}

/** One to four device risk events per customer over the last year of the relationship. */
export function deviceRiskEventsSql(r: Rng, customers: Range, base: number): string {
  const k = 'c.id';
  const e = `(c.id * 4 + n)`;
  const octet = (salt: number) => `${r.below(e, salt, 256)}::text`;
  return `INSERT INTO public.device_risk_events (id, customer_id, device_fingerprint, ip, risk_score, observed_at)
SELECT ${base} + row_number() OVER (ORDER BY c.id, n), c.id,
  md5(c.id::text || ':' || ${r.below(e, 24, 2)}::text || ':' || ${r.below('0', 25, 1_000_000)}::text),
  ((1 + ${r.below(e, 26, 222)})::text || '.' || ${octet(27)} || '.' || ${octet(28)} || '.' || ${octet(29)})::inet,
  floor(power(${r.unit(e, 30)}, 3) * 100)::smallint,
  date_trunc('second', greatest(c.created_at,
    coalesce(c.relationship_ended_at, p.now) - ${days(`${r.unit(e, 31)} * 365`)}))
FROM p, public.customers c CROSS JOIN LATERAL generate_series(1, 1 + ${r.below(k, 32, 4)}) AS n
WHERE c.id BETWEEN ${customers.lo} AND ${customers.hi}`;
}
