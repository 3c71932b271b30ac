import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvidence, type EvidenceInput } from '../../src/evidence/append.ts';
import { exportEvidence, EXPORT_COLUMNS, type ExportOptions } from '../../src/evidence/export.ts';
import { findEvidence } from '../../src/evidence/find.ts';
import { batchStartHash, recordHash, type EvidenceRecord } from '../../src/evidence/hash.ts';
import { subjectRef } from '../../src/crypto/keys.ts';
import { createTestDb, type TestDb } from '../helpers.ts';
import { keys, sampleBatch } from './sample.ts';

let t: TestDb;
const JAN = new Date('2026-01-15T10:00:00.001Z');
const FEB = new Date('2026-02-15T10:00:00.002Z');
const MAR = new Date('2026-03-15T10:00:00.003Z');
/** What was appended, by batch id and position. */
const written = new Map<string, EvidenceInput>();

beforeAll(async () => {
  t = await createTestDb('evidence_export');
  for (const [at, n] of [[JAN, 4], [FEB, 6], [MAR, 3]] as const) {
    const batchId = randomUUID();
    const inputs = sampleBatch(n, { occurredAt: at, subjects: ['1000042', '1000099'] });
    inputs.forEach((e, i) => written.set(`${batchId}/${i}`, e));
    await t.db.transaction((tx) => appendEvidence(tx, keys, batchId, inputs, at));
  }
});
afterAll(async () => {
  await t?.drop();
});

/** A deliberately slow, small-buffered sink, so the export has to wait for 'drain'. */
async function exported(opts: Omit<ExportOptions, 'out' | 'evidenceKey'>): Promise<{ n: number; text: string }> {
  const chunks: string[] = [];
  const out = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      setImmediate(done);
    },
  });
  const n = await exportEvidence(t.db, { ...opts, out, evidenceKey: keys.evidenceKey });
  out.end();
  await finished(out);
  return { n, text: chunks.join('') };
}

/** RFC 4180, enough for the test: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { record.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { record.push(field); records.push(record); record = []; field = ''; i++; }
    else field += c;
  }
  expect(field).toBe('');
  return records;
}

function expectMatchesInput(r: EvidenceRecord): void {
  const input = written.get(`${r.batch_id}/${r.batch_pos}`)!;
  expect(input).toBeDefined();
  expect(r).toMatchObject({
    run_id: input.runId, policy_id: input.policyId, policy_version: input.policyVersion, category: input.category,
    classification: input.classification, trigger: input.trigger, action: input.action, table: input.table,
    record_ref: input.recordRef, subject_ref: input.subjectRef, fields: input.fields, partner: input.partner,
    actor: input.actor, occurred_at: input.occurredAt.toISOString(),
  });
}

describe('exportEvidence', () => {
  it('json: every contract field, in time order, enough to re-check each batch chain offline', async () => {
    const { n, text } = await exported({ format: 'json' });
    const { records } = JSON.parse(text) as { records: EvidenceRecord[] };
    expect(n).toBe(13);
    expect(records).toHaveLength(13);
    expect(Object.keys(records[0]!)).toEqual([...EXPORT_COLUMNS]);
    const order = (r: EvidenceRecord) => `${r.occurred_at}/${String(r.seq).padStart(12, '0')}`;
    expect(records.map(order)).toEqual(records.map(order).sort());
    for (const r of records) {
      expectMatchesInput(r);
      const prev = r.batch_pos === 0 ? batchStartHash(keys.evidenceKey, r.batch_id) : records.find((o) => o.batch_id === r.batch_id && o.batch_pos === r.batch_pos - 1)!.hash;
      expect(r.prev_hash).toBe(prev);
      expect(recordHash(keys.evidenceKey, r.prev_hash, r)).toBe(r.hash);
    }
  });

  it('csv: a header, RFC 4180 quoting, the same values as json (null as empty)', async () => {
    const [{ text: csv }, { text: json }] = [await exported({ format: 'csv' }), await exported({ format: 'json' })];
    const [header, ...lines] = parseCsv(csv);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    const records = (JSON.parse(json) as { records: EvidenceRecord[] }).records;
    expect(lines).toHaveLength(records.length);
    lines.forEach((line, i) => {
      const r = records[i]!;
      const row = Object.fromEntries(header!.map((h, j) => [h, line[j]]));
      expect(row.fields === '' ? null : JSON.parse(row.fields!)).toEqual(r.fields);
      for (const c of EXPORT_COLUMNS) {
        if (c !== 'fields') expect(row[c]).toBe(r[c] === null ? '' : String(r[c]));
      }
    });
    expect(csv).toContain('"{""full_name"":""redact"",');
  });

  it('pages by (occurred_at, seq): tiny pages give the same register', async () => {
    for (const format of ['json', 'csv'] as const) {
      const whole = await exported({ format });
      for (const pageRows of [1, 2, 5]) expect(await exported({ format, pageRows })).toEqual(whole);
      expect(await exported({ format, from: FEB, to: MAR, pageRows: 4 })).toEqual(await exported({ format, from: FEB, to: MAR }));
    }
  });

  it('filters on occurred_at: from inclusive, to exclusive', async () => {
    const feb = JSON.parse((await exported({ format: 'json', from: FEB, to: MAR })).text) as { records: EvidenceRecord[] };
    expect(feb.records.map((r) => r.occurred_at)).toEqual(Array(6).fill(FEB.toISOString()));
    expect((await exported({ format: 'json', from: new Date(FEB.getTime() + 1) })).n).toBe(3);
    expect((await exported({ format: 'csv', to: FEB })).n).toBe(4);
    const empty = await exported({ format: 'json', from: MAR, to: MAR });
    expect(empty.n).toBe(0);
    expect(JSON.parse(empty.text)).toMatchObject({ records: [], runs: [], seals: [] });
    expect(parseCsv((await exported({ format: 'csv', from: new Date('2030-01-01') })).text)).toEqual([[...EXPORT_COLUMNS]]);
  });
});

describe('findEvidence', () => {
  it('finds a subject by pseudonym and never echoes the raw id', async () => {
    const found = await findEvidence(t.db, keys, '1000042');
    const expected = [...written.values()].filter((e) => e.subjectRef === subjectRef(keys, '1000042'));
    expect(found.length).toBe(expected.length);
    expect(found.length).toBeGreaterThan(0);
    for (const r of found) expectMatchesInput(r);
    expect(JSON.stringify(found)).not.toContain('1000042');
    expect(await findEvidence(t.db, keys, '9999999')).toEqual([]);
  });
});
