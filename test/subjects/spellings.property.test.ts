// One person, one spelling, under random subject column types (integers, numeric, text) and
// random spellings of random ids (leading zeros, signs, spaces, full width, ".0"): a hold placed
// with a spelling is never broken by an erasure, a subject purge or a sweep, and every accepted
// spelling means one person — whatever PostgreSQL would take it to mean by casting, every
// record it could reach prints exactly that spelling, so its pseudonym is the hold's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createTestDb, TEST_SECRET, type TestDb } from '../helpers.ts';
import { FUZZ_RUNS } from '../fixtures/hostile.ts';
import { sweepInline } from '../fixtures/sweep-inline.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { buildRuleset } from '../../src/policy/ruleset.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { fixedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { parseDuration } from '../../src/duration.ts';
import { rows } from '../../src/db/sql.ts';
import { addHold } from '../../src/holds/holds.ts';
import { executeErasure } from '../../src/erasure/execute.ts';
import { recordErasureRequest } from '../../src/erasure/requests.ts';
import { approvePurge, requestPurge } from '../../src/purge/requests.ts';
import { purgeBatch } from '../../src/destroy/purge.ts';
import { LetheError } from '../../src/errors.ts';
import type { EngineContext, Ruleset } from '../../src/engine.ts';

const NOW = new Date('2026-11-20T08:00:00Z');
const TABLES = ['ps_t0', 'ps_t1', 'ps_t2'] as const;
const TYPES = ['smallint', 'integer', 'bigint', 'numeric(8,0)', 'numeric(8,2)', 'text', 'character varying(12)'] as const;
const VALUES = [0, 7, 8, 80, 100000894, 32767, 32768, -5];

const fullWidth = (s: string) => s.replace(/[0-9+\-.]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
/** How people write an id: as printed, and the ways a careless hand or another system writes the same number. */
const spellingsOf = (v: number): string[] => {
  const s = String(v);
  return [s, `0${s}`, `+${s}`, ` ${s}`, `${s} `, fullWidth(s), `${s}.0`, `${s}.00`, `00${s}`];
};

type Action = 'erase' | 'purge' | 'sweep';
interface Case {
  types: (typeof TYPES)[number][];
  /** Per table, per person: how a text column stores the person (a spelling of the number). */
  stored: number[][];
  people: number[];
  hold: { person: number; spelling: number; policy: number | null };
  action: { kind: Action; same: boolean; person: number; spelling: number };
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  types: fc.tuple(...TABLES.map(() => fc.constantFrom(...TYPES))),
  people: fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 2, maxLength: 4 }),
  stored: fc.tuple(...TABLES.map(() => fc.array(fc.nat({ max: 8 }), { minLength: 4, maxLength: 4 }))),
  hold: fc.record({ person: fc.nat({ max: 3 }), spelling: fc.nat({ max: 8 }), policy: fc.option(fc.nat({ max: 2 }), { nil: null }) }),
  action: fc.record({ kind: fc.constantFrom<Action>('erase', 'purge', 'sweep'), same: fc.boolean(), person: fc.nat({ max: 3 }), spelling: fc.nat({ max: 8 }) }),
});

describe('subject spellings across column types', () => {
  let t: TestDb;
  let dir: string;
  const keys = deriveKeys(TEST_SECRET);
  const ctx = (): EngineContext => ({ db: t.db, keys, clock: fixedClock(NOW), log: silentLogger });
  let ticket = 0;

  beforeAll(async () => {
    t = await createTestDb('spellprop');
    dir = mkdtempSync(join(tmpdir(), 'lethe-spellings-'));
    for (const table of TABLES) {
      const id = table.replace('_', '-');
      writeFileSync(join(dir, `${id}.yaml`), [`id: ${id}`, 'title: t', 'category: c', 'classification: C2', 'basis: [law]',
        `source: { table: ${table}, key: id, subject: who }`, 'trigger: { kind: expiry, from: decided_at }', 'retain: P1D', 'action: delete', ''].join('\n'));
    }
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.drop();
  });

  /** Fresh tables of the case's types, every person in each (as far as the type can hold them), all due. */
  async function setUp(c: Case): Promise<Ruleset> {
    for (const [i, table] of TABLES.entries()) {
      await t.db.execute(sql.raw(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id bigserial PRIMARY KEY, who ${c.types[i]}, decided_at timestamptz NOT NULL)`));
      for (const [j, v] of c.people.entries()) {
        const text = /text|character/.test(c.types[i]!) ? spellingsOf(v)[c.stored[i]![j]! % 9]! : String(v);
        // A value the column cannot hold is simply not in it.
        await t.db.execute(sql`INSERT INTO ${sql.identifier(table)} (who, decided_at) SELECT ${text}::text::${sql.raw(c.types[i]!)}, ${new Date(NOW.getTime() - 10 * 86_400_000)}
          FROM generate_series(1, 2)`).catch(() => undefined);
      }
    }
    await t.db.execute(sql`DELETE FROM lethe.holds`);
    return (await buildRuleset(t.db, await loadPolicies(dir))).ruleset;
  }

  /** Every record PostgreSQL would take `spelling` to mean by casting it, or by its text: what a careless match would reach. */
  async function reachable(c: Case, rules: Ruleset, spelling: string, policies: readonly string[]): Promise<{ table: string; id: string; text: string }[]> {
    const out: { table: string; id: string; text: string }[] = [];
    for (const [i, table] of TABLES.entries()) {
      if (!policies.includes(rules.policies.find((p) => p.source.table === table)!.id)) continue;
      const cast = await rows<{ v: string }>(t.db, sql`SELECT (${spelling}::text::${sql.raw(c.types[i]!)})::text AS v`).catch(() => []);
      const byCast = cast.length > 0 ? sql`OR who = ${spelling}::text::${sql.raw(c.types[i]!)}` : sql``;
      out.push(...(await rows<{ id: string; text: string }>(t.db, sql`SELECT id::text, who::text AS text FROM ${sql.identifier(table)}
        WHERE who::text = ${spelling} ${byCast}`)).map((r) => ({ table, ...r })));
    }
    return out;
  }

  const present = async () => new Set((await rows<{ k: string }>(t.db, sql.join(TABLES.map((table) =>
    sql`SELECT ${table} || ':' || id || ':' || coalesce(who::text, '') AS k FROM ${sql.identifier(table)}`), sql` UNION ALL `))).map((r) => r.k));

  async function attempt<T>(fn: () => Promise<T>): Promise<T | 'refused'> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof LetheError && e.exitCode === 2) return 'refused';
      throw e;
    }
  }

  async function act(rules: Ruleset, kind: Action, subject: string): Promise<'refused' | 'done'> {
    if (kind === 'sweep') {
      await sweepInline(ctx(), rules);
      return 'done';
    }
    if (kind === 'erase') {
      const id = await attempt(() => recordErasureRequest(ctx(), rules, 15, { subject, ticket: `T-${ticket++}`, actor: 'operator:prop' }));
      if (id === 'refused') return id;
      await executeErasure(ctx(), rules, id, { batchSize: 100 });
      return 'done';
    }
    const view = await attempt(() => requestPurge(ctx(), rules, { target: { kind: 'subject', subject }, reason: 'prop', requestedBy: 'operator:alice', ttl: parseDuration('PT1H')! }));
    if (view === 'refused') return view;
    const { batchIds } = await approvePurge(ctx(), { id: view.id, approver: 'operator:bob' }, 100);
    for (const b of batchIds) await purgeBatch(ctx(), rules, b);
    return 'done';
  }

  it('a hold protects exactly what erase, purge or sweep of the same input reach; an accepted spelling is one person', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const rules = await setUp(c);
      const all = rules.policies.map((p) => p.id);
      const person = (n: number) => c.people[n % c.people.length]!;
      const h = spellingsOf(person(c.hold.person))[c.hold.spelling]!;
      const holdScope = c.hold.policy === null ? all : [all[c.hold.policy]!];
      const held = await attempt(() => addHold(ctx(), rules, { subject: h, reason: 'prop', policyId: c.hold.policy === null ? undefined : holdScope[0], actor: 'operator:legal' }));
      const protectedRows = held === 'refused' ? [] : await reachable(c, rules, h, holdScope);
      // One person: whatever the spelling could reach prints exactly it, so its pseudonym is the hold's.
      for (const r of protectedRows) expect(r.text, `hold "${h}" reaches ${r.table}#${r.id}`).toBe(h);

      const e = c.action.same ? h : spellingsOf(person(c.action.person))[c.action.spelling]!;
      const before = await present();
      const outcome = await act(rules, c.action.kind, e);
      const after = await present();
      const gone = [...before].filter((k) => !after.has(k));
      for (const r of protectedRows) expect(after.has(`${r.table}:${r.id}:${r.text}`), `held ${r.table}#${r.id} ("${h}") after ${c.action.kind} "${e}"`).toBe(true);
      if (c.action.kind !== 'sweep' && outcome === 'done') {
        const reach = await reachable(c, rules, e, all);
        for (const r of reach) expect(r.text, `"${e}" reaches ${r.table}#${r.id}`).toBe(e);
        // An erasure or subject purge destroys that one person's records only.
        for (const k of gone) expect(k.slice(k.lastIndexOf(':') + 1), `${c.action.kind} "${e}" destroyed ${k}`).toBe(e);
      }
    }), { numRuns: FUZZ_RUNS, endOnFailure: true });
  }, 600_000);
});
