// The end of a cooperation (PIPL art. 21: the entrusted party returns or deletes the data when
// the entrustment ends). A partner marked `status: terminated` in the registry gets purge
// requests, trigger `partner_termination`, for everything the ledger says it received and no
// confirmed request has covered yet — once: a later sync finds them and adds nothing.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { EngineContext, Ruleset } from '../engine.ts';
import { rows } from '../db/sql.ts';
import { subjectRef } from '../crypto/keys.ts';
import { LEDGER, insertRequest, type QueuedRequest } from './outbox.ts';
import type { PartnerRegistry } from './registry.ts';

/** Subjects per termination request: bounds each request's body and evidence mini-batch. */
export const TERMINATION_CHUNK = 1000;
export const TERMINATION_POLICY = 'partner-termination';

export interface TerminationResult {
  partner: string;
  /** False when an earlier sync already created this partner's requests. */
  created: boolean;
  requests: QueuedRequest[];
  subjects: number;
}

const RANK = { C1: 1, C2: 2, C3: 3 } as const;

/** The most sensitive classification among the policies of these categories; C3 when none says. */
function classificationOf(rules: Ruleset, categories: string[]): string {
  const found = rules.policies.filter((p) => categories.includes(p.category)).map((p) => p.classification);
  return found.length === 0 ? 'C3' : found.reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
}

export async function syncTerminations(ctx: EngineContext, rules: Ruleset, registry: PartnerRegistry, actor: string): Promise<TerminationResult[]> {
  const out: TerminationResult[] = [];
  for (const partner of registry.partners.filter((p) => p.status === 'terminated')) {
    out.push(await ctx.db.transaction(async (tx): Promise<TerminationResult> => {
      // Two syncs at once (two workers): the second waits, then finds the first's requests.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`lethe.partner-termination:${partner.id}`}))`);
      const done = await rows<{ n: number }>(tx, sql`SELECT 1 AS n FROM lethe.partner_requests
        WHERE partner_id = ${partner.id} AND dedupe_key LIKE 'termination:%' LIMIT 1`);
      if (done.length > 0) return { partner: partner.id, created: false, requests: [], subjects: 0 };
      const covered = new Set((await rows<{ ref: string; category: string }>(tx, sql`SELECT DISTINCT s.ref, c.category
        FROM lethe.partner_requests r, unnest(r.subject_refs) AS s(ref), unnest(r.categories) AS c(category)
        WHERE r.partner_id = ${partner.id} AND r.status = 'confirmed'`)).map((c) => `${c.ref}|${c.category}`));
      const held = await rows<{ s: string; category: string; ref: string }>(tx, sql`SELECT customer_id::text AS s, category,
        partner_subject_ref AS ref FROM ${LEDGER} WHERE partner_id = ${partner.id} ORDER BY customer_id, category`);
      const bySubject = new Map<string, { ref: string; partnerRefs: Set<string>; categories: Set<string> }>();
      for (const h of held) {
        const ref = subjectRef(ctx.keys, h.s);
        if (covered.has(`${ref}|${h.category}`)) continue;
        const e = bySubject.get(h.s) ?? { ref, partnerRefs: new Set<string>(), categories: new Set<string>() };
        e.partnerRefs.add(h.ref);
        e.categories.add(h.category);
        bySubject.set(h.s, e);
      }
      const subjects = [...bySubject.values()];
      if (subjects.length === 0) return { partner: partner.id, created: false, requests: [], subjects: 0 };
      const now = ctx.clock.now();
      const runId = randomUUID();
      await tx.execute(sql`INSERT INTO lethe.runs (id, kind, trigger, actor, status, started_at, finished_at)
        VALUES (${runId}, 'partner-termination', 'partner_termination', ${actor}, 'done', ${now}, ${now})`);
      const requests: QueuedRequest[] = [];
      for (let i = 0; i < subjects.length; i += TERMINATION_CHUNK) {
        const chunk = subjects.slice(i, i + TERMINATION_CHUNK);
        const categories = [...new Set(chunk.flatMap((c) => [...c.categories]))].sort();
        const r = await insertRequest(tx, {
          partnerId: partner.id, dedupeKey: `termination:${i / TERMINATION_CHUNK}`, trigger: 'partner_termination', runId,
          batchId: null, policyId: TERMINATION_POLICY, policyVersion: '-', classification: classificationOf(rules, categories),
          actor, categories, subjectRefs: chunk.map((c) => c.ref), partnerRefs: chunk.flatMap((c) => [...c.partnerRefs]),
        }, now);
        if (r) requests.push(r);
      }
      ctx.log.info({ partner: partner.id, requests: requests.length, subjects: subjects.length }, 'terminated partner: purge requests created');
      return { partner: partner.id, created: true, requests, subjects: subjects.length };
    }));
  }
  return out;
}
