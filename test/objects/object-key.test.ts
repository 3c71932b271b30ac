// lethe.object_key (drizzle/0013) must read a pointer exactly as `locate` does: it is how lethe
// asks whether a row it keeps still points to a file it is about to delete, however spelled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from '../helpers.ts';
import { rows } from '../../src/db/sql.ts';
import { locate } from '../../src/objects/pointers.ts';
import type { Store } from '../../src/objects/stores.ts';

const BUCKET = 'docs-bkt';
/** A pointer is drawn piece by piece: space, scheme, bucket, slashes, key, space — each maybe absent or wrong. */
const PIECES = [
  ['', '', ' ', '\u3000', '\n\t', '\ufeff'],
  ['', '', 's3://', 'S3://', 'oss://', 'Cos://', 'obs://', 'http://', 'x+y://', 's3:/'],
  ['', BUCKET, BUCKET, 'other-bkt', `${BUCKET.toUpperCase()}`],
  ['', '/', '/', '//'],
  ['', 'a b.pdf', '证件/身份证.jpg', 'k/', '2026/11/x.jpg', ':', '%2F', 'x//y'],
  ['', '', ' ', '\n', '\u3000'],
];

describe('lethe.object_key', () => {
  let t: TestDb;
  beforeAll(async () => { t = await createTestDb('objkey'); });
  afterAll(async () => { await t.drop(); });

  it('gives the key locate gives, or NULL where locate finds no object or refuses, for 5,000 random spellings', async () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const values = Array.from({ length: 5000 }, () => PIECES.map((p) => p[Math.floor(next() * p.length)]).join(''));
    values.push(`s3://${BUCKET}/a.pdf`, ` OSS://${BUCKET}/a.pdf\n`, '//a.pdf', 'a.pdf', `s3://${BUCKET}/`, `s3://other/a.pdf`, 'ftp://x/a.pdf');
    const store = { bucket: BUCKET } as Store;
    const expected = values.map((v) => {
      const loc = locate(v, store);
      return loc === undefined || 'refused' in loc ? null : loc.key;
    });
    const got = await rows<{ k: string | null }>(t.db, sql`SELECT lethe.object_key(v, ${BUCKET}) AS k
      FROM unnest(${sql.param(values)}::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n`);
    const differ = values.map((v, n) => ({ v, js: expected[n], sql: got[n]!.k })).filter((d) => d.js !== d.sql);
    expect(differ).toEqual([]);
    // The cases are not all one kind: keys, no objects and refusals are each among them.
    expect(expected.filter((k) => k !== null).length).toBeGreaterThan(500);
    expect(expected.filter((k) => k === null).length).toBeGreaterThan(500);
    expect(await rows(t.db, sql`SELECT lethe.object_key(NULL, ${BUCKET}) AS k`)).toEqual([{ k: null }]);
  });
});
