// The demo's partners: reference partners (src/partners/reference-partner.ts) standing in for
// the loan facilitator the seeded sharing ledger says received a third of the customers' loan
// applications and the marketing platform that received half of the marketing profiles,
// `lethe serve`'s confirmation route for their receipts, and the per-partner delivery workers —
// all in-process on loopback, so the demo shows a destruction reaching the partners and coming
// back confirmed.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { EngineContext, Ruleset } from '../engine.ts';
import { rows } from '../db/sql.ts';
import { SAMPLE_SHARING } from '../lender/sharing.ts';
import { Queues, redisConnection } from '../pipeline/queues.ts';
import type { JobRegistry } from '../pipeline/workers.ts';
import { buildServer } from '../server/app.ts';
import { DEFAULT_DELIVERY } from '../partners/deliver.ts';
import { parsePartnerRegistry, type PartnerRegistry } from '../partners/registry.ts';
import { startReferencePartner, type ReferencePartner } from '../partners/reference-partner.ts';
import { startPartnerWorkers, type PartnerWorkers } from '../partners/workers.ts';
import { enqueueDueRequests } from '../partners/sweep.ts';

/** The policy the demo makes notify partners, and the partner (from the seeded ledger) it notifies. */
export const DEMO_NOTIFY_POLICY = 'rejected-loan-applications';
export const DEMO_PARTNER = SAMPLE_SHARING.find((s) => s.category === 'loan-application')!.partner;
const secretEnv = (partner: string) => `LETHE_DEMO_PARTNER_${partner.toUpperCase().replace(/-/g, '_')}_SECRET`;
/** The names the demo registry gives the sample partners (the marketing policy notifies the second). */
const DEMO_NAMES: Record<string, string> = {
  'huidai-facilitator': '惠贷助贷平台（演示：本机参考合作方）',
  'xinghe-marketing': '星河营销云（演示：本机参考合作方）',
};
const SETTLE_TIMEOUT_MS = 8000;

export interface DemoPartnerReport {
  /** The facilitator, whose story the demo tells; the counts are of every demo partner. */
  partner: string;
  endpoint: string;
  /** Every partner the demo stood in for. */
  partners: string[];
  requests: number;
  confirmed: number;
  failed: number;
  /** Neither confirmed nor failed when the demo stopped waiting. */
  unsettled: number;
}

/**
 * A copy of the policies with `partners: notify` added to the rejected applications, under
 * `dir`: the shipped pack stays as it is (a lender turns it on once it has a partner registry).
 */
export function writeDemoPolicies(from: string, dir: string): string {
  const to = join(dir, 'policies');
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from).filter((n) => n.endsWith('.yaml'))) {
    if (name !== `${DEMO_NOTIFY_POLICY}.yaml`) {
      copyFileSync(join(from, name), join(to, name));
      continue;
    }
    const text = readFileSync(join(from, name), 'utf8');
    const notify = /^partners:/m.test(text) ? '' : `${text.endsWith('\n') ? '' : '\n'}# Added by lethe demo: the demo partner gets a purge request.\npartners: notify\n`;
    writeFileSync(join(to, name), text + notify);
  }
  return to;
}

export interface DemoPartners {
  readonly registry: PartnerRegistry;
  /** Enqueues what the sweep's jobs did not (the erasure's requests), waits until all settle. */
  settle(): Promise<DemoPartnerReport>;
  close(): Promise<void>;
}

export async function startDemoPartners(ctx: EngineContext, rules: Ruleset, cfg: Config, jobs: JobRegistry, dir: string): Promise<DemoPartners> {
  const secretValues = new Map(SAMPLE_SHARING.map((s) => [secretEnv(s.partner), randomBytes(32).toString('hex')]));
  const secrets = (name: string) => secretValues.get(name);
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const stand: ReferencePartner[] = [];
    for (const s of SAMPLE_SHARING) {
      const partner = await startReferencePartner({ partnerId: s.partner, secret: secretValues.get(secretEnv(s.partner))!, lethe: 'http://127.0.0.1:9' });
      closers.push(() => partner.close());
      stand.push(partner);
    }
    const file = join(dir, 'partners.yaml');
    const text = `# Written by lethe demo: reference partners on loopback stand in for the facilitator and the marketing platform.
partners:
${SAMPLE_SHARING.map((s, i) => `  - id: ${s.partner}
    name: ${DEMO_NAMES[s.partner] ?? s.partner}
    endpoint: ${stand[i]!.url}
    status: active
    categories: [${s.category}]
    confirm_within: P15D
    secret_env: ${secretEnv(s.partner)}
    max_concurrency: 2
    timeout: PT2S
    max_attempts: 5
`).join('')}`;
    writeFileSync(file, text);
    const registry = parsePartnerRegistry(text, file);
    const connection = redisConnection(cfg.redisUrl);
    const queues = new Queues(connection, cfg.queuePrefix);
    closers.push(async () => {
      await queues.close();
      connection.disconnect();
    });
    const server: FastifyInstance = buildServer({ ctx, rules, config: cfg, enqueue: queues.enqueue, startedAt: new Date(), partners: registry, partnerSecrets: secrets });
    const lethe = await server.listen({ port: 0, host: '127.0.0.1' });
    for (const p of stand) p.setLethe(lethe);
    closers.push(() => server.close());
    const base = { ...ctx, rules, config: cfg, enqueue: queues.enqueue };
    const workers: PartnerWorkers = await startPartnerWorkers(base, jobs,
      { registry, delivery: { ...DEFAULT_DELIVERY, baseDelayMs: 200, maxDelayMs: 2000, secrets } }, { connection, prefix: cfg.queuePrefix, queues });
    closers.push(() => workers.close());
    return {
      registry,
      async settle() {
        await enqueueDueRequests(ctx, queues.enqueue, 0);
        const started = Date.now();
        let counts = await countRequests(ctx);
        while (counts.unsettled > 0 && Date.now() - started < SETTLE_TIMEOUT_MS) {
          await new Promise((r) => setTimeout(r, 100));
          counts = await countRequests(ctx);
        }
        return { partner: DEMO_PARTNER, endpoint: stand[0]!.url, partners: SAMPLE_SHARING.map((s) => s.partner), ...counts };
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

async function countRequests(ctx: EngineContext): Promise<Omit<DemoPartnerReport, 'partner' | 'endpoint' | 'partners'>> {
  const by = new Map((await rows<{ status: string; n: string }>(ctx.db, sql`SELECT status, count(*)::text AS n
    FROM lethe.partner_requests GROUP BY status`)).map((r) => [r.status, Number(r.n)]));
  const n = (s: string) => by.get(s) ?? 0;
  return { requests: [...by.values()].reduce((a, b) => a + b, 0), confirmed: n('confirmed'), failed: n('failed'), unsettled: n('pending') + n('sent') };
}
