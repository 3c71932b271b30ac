// `trigger: { kind: consent_withdrawn, consent: {…} }`: the clock starts when the subject's last
// consent for a purpose is withdrawn (PIPL art. 15, 47(3)); a consent granted again stops it.
import { sql } from 'drizzle-orm';
import { identifier, strict, tableName, text } from '../schema-parts.ts';
import { qualified } from '../../db/sql.ts';
import { tableRef } from '../table-ref.ts';
import type { ConsentRef } from '../types.ts';
import type { TriggerModule } from './types.ts';

export interface ConsentTrigger {
  kind: 'consent_withdrawn';
  consent: ConsentRef;
}

interface RawConsent {
  table: string;
  subject: string;
  purpose_column: string;
  purpose: string;
  withdrawn_at: string;
}

export const consentWithdrawn: TriggerModule<ConsentTrigger> = {
  kind: 'consent_withdrawn',
  summary: 'the withdrawal of the subject\'s last consent for a purpose starts the clock; a consent granted again stops it',
  keys: {
    consent: strict({ table: tableName, subject: identifier, purpose_column: identifier, purpose: text, withdrawn_at: identifier }).optional(),
  },
  foreign: { from: 'trigger.from is not used by kind consent_withdrawn: the withdrawal time starts the clock' },
  resolve(raw, problem) {
    const c = raw.consent as RawConsent | undefined;
    if (c === undefined) {
      problem(['trigger', 'kind'], 'trigger.consent is required for kind consent_withdrawn: { table, subject, purpose_column, purpose, withdrawn_at }');
      return undefined;
    }
    return { kind: 'consent_withdrawn', consent: { ...tableRef(c.table), subject: c.subject, purposeColumn: c.purpose_column, purpose: c.purpose, withdrawnAt: c.withdrawn_at } };
  },
  tables: (t) => [t.consent],
  check(_p, t, c) {
    const ct = c.table(t.consent, 'trigger.consent.table');
    c.column(ct, t.consent.subject, 'trigger.consent.subject');
    c.column(ct, t.consent.purposeColumn, 'trigger.consent.purpose_column');
    c.clock(ct, t.consent.withdrawnAt, 'trigger.consent.withdrawn_at');
  },
  // Every consent row of the subject for this purpose is withdrawn (one still active means it was
  // granted again: not due), and the latest withdrawal is at or before the cutoff.
  passed(p, t, cutoff) {
    const c = t.consent;
    const cc = (name: string) => sql`c.${sql.identifier(name)}`;
    return sql`t.${sql.identifier(p.source.subject)} IN (SELECT ${cc(c.subject)} FROM ${qualified(c.schema, c.table)} c
      WHERE ${cc(c.purposeColumn)} = ${c.purpose} GROUP BY ${cc(c.subject)}
      HAVING bool_and(${cc(c.withdrawnAt)} IS NOT NULL) AND max(${cc(c.withdrawnAt)}) <= ${cutoff})`;
  },
  clockColumn: () => null,
  describe: (t) => `consent withdrawn (${t.consent.purpose})`,
};
