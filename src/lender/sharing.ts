// The reference lender's sharing ledger: what it gave to partners. Two partners of the sample
// registry (partners.yaml): a loan facilitator (助贷平台) that saw about a third of the loan
// applications' customers, and a marketing platform that received half of the marketing
// profiles. The partner knows a customer by its own reference, never by the lender's id.
import type { Rng } from './vocab.ts';
import type { Range } from './people.ts';

/** Partner ids and categories of the sample registry; a ledger row names one of these pairs. */
export const SAMPLE_SHARING = [
  { partner: 'huidai-facilitator', category: 'loan-application', prefix: 'HD', salt: 1, share: 3 },
  { partner: 'xinghe-marketing', category: 'marketing-profile', prefix: 'XH', salt: 2, share: 2 },
] as const;

/** Ledger rows for customers `ids`, ids from `base + 1`. */
export function sharingLedgerSql(r: Rng, ids: Range, base: number): string {
  const k = 'c';
  const picks = SAMPLE_SHARING.map((s) => `SELECT c, '${s.partner}' AS partner_id, '${s.category}' AS category,
      '${s.prefix}-' || upper(substr(md5(c::text || '${s.partner}' || ${r.int(k, 40 + s.salt)}::text), 1, 12)) AS ref
    FROM generate_series(${ids.lo}, ${ids.hi}) AS c WHERE ${r.below(k, 50 + s.salt, s.share)} = 0`).join('\n    UNION ALL ');
  return `INSERT INTO public.data_sharing_ledger (id, partner_id, customer_id, category, partner_subject_ref, shared_at)
SELECT ${base} + row_number() OVER (ORDER BY c, partner_id), partner_id, c, category, ref,
  date_trunc('second', p.now - (1 + ${r.below(k, 60, 700)}) * interval '1 day')
FROM (${picks}) s, p`;
}
