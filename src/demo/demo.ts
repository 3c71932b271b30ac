// `lethe demo`: a synthetic lender in an embedded database, a hold, a plan, a sweep through the
// real BullMQ pipeline, and a report of what was destroyed, held and kept.
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import { deriveKeys } from '../crypto/keys.ts';
import { fixedClock, systemClock } from '../clock.ts';
import { openPglite, type Database } from '../db/connect.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { createLenderSchema } from '../lender/schema.ts';
import { seedLender } from '../lender/seed.ts';
import { loadPoliciesWithOverrides } from '../policy/overrides.ts';
import { buildRuleset } from '../policy/ruleset.ts';
import { addHold } from '../holds/holds.ts';
import { plan, type PolicyCounts } from '../plan/plan.ts';
import { sweep, type SweepResult } from '../pipeline/sweep.ts';
import type { JobRegistry } from '../pipeline/workers.ts';
import { verifyEvidence } from '../evidence/verify.ts';
import { getErasureRequest, recordErasureRequest } from '../erasure/requests.ts';
import { executeErasure } from '../erasure/execute.ts';
import type { ErasureView } from '../erasure/types.ts';
import { one, rows } from '../db/sql.ts';
import type { Logger } from '../log.ts';
import type { EngineContext } from '../engine.ts';
import { startDemoPartners, writeDemoPolicies, type DemoPartnerReport } from './partners.ts';
import { startDemoStores, type DemoStoreReport } from './stores.ts';
import { objectRuntime } from '../objects/service.ts';
import { retryDueObjects } from '../objects/drain.ts';

export const DEMO_DIR = '.lethe';
export const DEMO_CUSTOMERS = 2000;

export interface DemoReport {
  database: string;
  /** DATABASE_URL was set: the demo left that database alone and says so. */
  databaseUrlIgnored: boolean;
  secretSource: 'env' | 'generated';
  seeded: Record<string, number>;
  heldSubject: string | undefined;
  plan: PolicyCounts[];
  sweep: SweepResult;
  kept: { table: string; before: number; after: number }[];
  /** A data subject's erasure request after the sweep: applications go, KYC is restricted. */
  erasure: ErasureView | undefined;
  evidence: { records: number; ok: boolean };
  sample: Record<string, unknown> | undefined;
  /** Purge requests to the demo's reference partner for the shared data destroyed. */
  partners: DemoPartnerReport;
  /** Files in the demo's object storage: put there before the sweep, left after it. */
  objects: DemoStoreReport[];
}

/** The secret from LETHE_SECRET, or one made for the demo and kept in .lethe/secret. */
function demoSecret(cfg: Config, dir: string): { secret: string; source: 'env' | 'generated' } {
  if (cfg.secret) return { secret: cfg.secret, source: 'env' };
  const file = join(dir, 'secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return { secret: readFileSync(file, 'utf8').trim(), source: 'generated' };
}

/**
 * Always the demo's own embedded database, whatever DATABASE_URL says: the demo seeds 2,000
 * synthetic customers and sweeps with the shipped policies, which on a real database (the one
 * the README has the reader export) would destroy real records.
 */
async function openDemoDatabase(dir: string): Promise<{ database: Database; label: string }> {
  // A fresh embedded database each run, so the report is the same every time.
  rmSync(join(dir, 'pgdata'), { recursive: true, force: true });
  const database = await openPglite(join(dir, 'pgdata'));
  await migrateDatabase(database);
  return { database, label: `embedded PGlite in ${join(dir, 'pgdata')}` };
}

async function tableCounts(db: Database['db'], tables: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of tables) {
    const r = await one<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ${sql.identifier(t)}`);
    out.set(t, Number(r!.n));
  }
  return out;
}

export async function runDemo(cfg: Config, registry: JobRegistry, log: Logger, customers = DEMO_CUSTOMERS): Promise<DemoReport> {
  mkdirSync(DEMO_DIR, { recursive: true });
  const { secret, source } = demoSecret(cfg, DEMO_DIR);
  const { database, label } = await openDemoDatabase(DEMO_DIR);
  const closers: (() => Promise<void>)[] = [];
  try {
    const db = database.db;
    await createLenderSchema(db);
    const now = systemClock.now();
    const seeded = await seedLender(db, { customers, now, seed: 42 });
    // A demo-only copy of the pack whose rejected applications notify the demo partner.
    const policies = await loadPoliciesWithOverrides(writeDemoPolicies(cfg.policiesDir, DEMO_DIR), cfg.policyOverrides);
    // The face images and recordings live in a local S3 server, as they would in a bucket.
    const stores = await startDemoStores(policies, cfg.storesFile, DEMO_DIR);
    closers.push(() => stores.close());
    await stores.upload(db);
    const { ruleset } = await buildRuleset(db, policies, stores.registry);
    const ctx: EngineContext = { db, keys: deriveKeys(secret), clock: systemClock, log };
    // Hold the customer with the most due rejected applications: the report shows them kept.
    const held = await one<{ s: string }>(db, sql`SELECT customer_id::text AS s FROM loan_applications
      WHERE status = 'rejected' AND decided_at < ${new Date(now.getTime() - 31 * 86_400_000)}
      GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT 1`);
    if (held) await addHold(ctx, ruleset, { subject: held.s, reason: 'demo: litigation hold', actor: 'operator:demo' });
    const tables = [...new Set(ruleset.policies.map((p) => p.source.table))];
    const before = await tableCounts(db, tables);
    const planned = await plan(ctx, ruleset, { now });
    // Embedded PGlite is one connection: one purge at a time.
    const demoConfig: Config = { ...cfg, concurrency: database.kind === 'pglite' ? 1 : cfg.concurrency,
      queuePrefix: `${cfg.queuePrefix}-demo-${randomBytes(3).toString('hex')}` };
    const partners = await startDemoPartners(ctx, ruleset, demoConfig, registry, DEMO_DIR);
    let swept: SweepResult;
    let erasure: ErasureView | undefined;
    let delivered: DemoPartnerReport;
    try {
      // At the plan's instant: seconds of start-up later, records seeded near a deadline would
      // have crossed it, and the demo shows that the sweep does exactly what the plan counted.
      swept = await sweep({ ...ctx, clock: fixedClock(now) }, ruleset, demoConfig, registry, { actor: 'operator:demo' });
      erasure = await demoErasure(ctx, ruleset, cfg, held?.s);
      delivered = await partners.settle();
    } finally {
      await partners.close();
    }
    const after = await tableCounts(db, tables);
    // A file whose first attempt failed (a store hiccup) gets its retries, as `lethe worker` would give them.
    await retryObjects(ctx, ruleset);
    const objects = await stores.report(db);
    const verified = await verifyEvidence(db, ctx.keys);
    const [sample] = await rows<Record<string, unknown>>(db, sql`SELECT seq, policy_id, trigger, action, "table", record_ref, subject_ref, fields, actor, occurred_at, hash
      FROM lethe.evidence ORDER BY seq LIMIT 1`);
    return {
      database: label, databaseUrlIgnored: cfg.databaseUrlIgnored, secretSource: source, seeded, heldSubject: held?.s, plan: planned, sweep: swept,
      kept: tables.map((t) => ({ table: t, before: before.get(t)!, after: after.get(t)! })),
      erasure, evidence: { records: verified.records, ok: verified.ok },
      sample: sample && { ...sample, occurred_at: new Date(String(sample.occurred_at)).toISOString() }, partners: delivered, objects,
    };
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await database.close();
  }
}

const OBJECT_RETRY_ROUNDS = 3;

async function retryObjects(ctx: EngineContext, rules: Parameters<typeof executeErasure>[1]): Promise<void> {
  const rt = objectRuntime(rules, { baseDelayMs: 200, maxDelayMs: 1000 });
  try {
    for (let round = 0; round < OBJECT_RETRY_ROUNDS; round++) {
      const [left] = await rows<{ n: string }>(ctx.db, sql`SELECT count(*)::text AS n FROM lethe.object_deletions WHERE status = 'pending'`);
      if (Number(left!.n) === 0) return;
      await new Promise((r) => setTimeout(r, 2500));
      await retryDueObjects(ctx, rt);
    }
  } finally {
    rt.close();
  }
}

/**
 * A customer with rejected applications not yet due and a KYC record asks for erasure: the
 * applications go at once, the KYC record stays restricted until the AML floor ends.
 */
async function demoErasure(ctx: EngineContext, rules: Parameters<typeof executeErasure>[1], cfg: Config, heldSubject: string | undefined): Promise<ErasureView | undefined> {
  const subject = await one<{ s: string }>(ctx.db, sql`SELECT a.customer_id::text AS s FROM loan_applications a
    JOIN kyc_records k ON k.customer_id = a.customer_id
    WHERE a.status = 'rejected' AND a.customer_id::text <> ${heldSubject ?? ''} GROUP BY a.customer_id ORDER BY count(*) DESC, a.customer_id LIMIT 1`);
  if (!subject) return undefined;
  const id = await recordErasureRequest(ctx, rules, cfg.erasureDueDays, { subject: subject.s, ticket: 'DEMO-0001', actor: 'operator:demo' });
  await executeErasure(ctx, rules, id, { batchSize: cfg.batchSize, taskDue: cfg.taskDue });
  return getErasureRequest(ctx.db, id, ctx.clock.now());
}
