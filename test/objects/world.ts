// A small lender of our own making for the object tests — not the reference lender: another
// schema, text keys, other column names, a child table with bigint keys pointing at a text
// parent, and files in two stores (URIs and bare keys).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/connect.ts';

export const FACES = 'faces-bkt';
export const DOCS = 'docs-bkt';
export const NOW = new Date('2026-11-20T08:00:00Z');
const OLD = '2026-10-01T00:00:00Z';
const RECENT = '2026-11-19T00:00:00Z';

/** A check row: its file key (in FACES) or null, and the child attachments' keys (in DOCS). */
export interface CheckSeed {
  id: string;
  person: string;
  doneAt: string;
  photo: string | null;
  attachments: (string | null)[];
}

export const CHECKS: CheckSeed[] = [
  { id: 'chk-due-1', person: 'P-001', doneAt: OLD, photo: `s3://${FACES}/2026/10/selfie one.jpg`, attachments: ['proofs/income 1.pdf', null] },
  { id: 'chk-due-2', person: 'P-002', doneAt: OLD, photo: `oss://${FACES}/2026/10/never-uploaded.jpg`, attachments: [] },
  { id: 'chk-due-3', person: 'P-003', doneAt: OLD, photo: null, attachments: [`cos://${DOCS}/proofs/3.pdf`] },
  { id: 'chk-due-4', person: 'P-004', doneAt: OLD, photo: '', attachments: [] },
  { id: 'chk-held', person: 'P-HELD', doneAt: OLD, photo: `s3://${FACES}/2026/10/held.jpg`, attachments: ['proofs/held.pdf'] },
  { id: 'chk-fresh', person: 'P-001', doneAt: RECENT, photo: `s3://${FACES}/2026/11/fresh.jpg`, attachments: ['proofs/fresh.pdf'] },
];

/** Keys that exist in the store after seeding (the never-uploaded one is absent on purpose). */
export function uploaded(): { bucket: string; key: string }[] {
  const out: { bucket: string; key: string }[] = [];
  for (const c of CHECKS) {
    if (c.photo && !c.photo.includes('never-uploaded')) out.push({ bucket: FACES, key: c.photo.replace(/^[a-z0-9]+:\/\/[^/]+\//, '') });
    for (const a of c.attachments) if (a) out.push({ bucket: DOCS, key: a.replace(/^[a-z0-9]+:\/\/[^/]+\//, '') });
  }
  return out;
}

export async function seedWorld(db: Db): Promise<void> {
  await db.execute(sql.raw(`CREATE SCHEMA app;
    CREATE TABLE app.liveness_checks (check_id text PRIMARY KEY, person text NOT NULL, photo text, done_at timestamptz NOT NULL);
    CREATE INDEX ON app.liveness_checks (done_at, check_id);
    CREATE INDEX ON app.liveness_checks (person);
    CREATE TABLE app.attachments (att_id bigint PRIMARY KEY, check_id text NOT NULL REFERENCES app.liveness_checks, blob_path text);
    CREATE INDEX ON app.attachments (check_id);`));
  let att = 9_000_000_001;
  for (const c of CHECKS) {
    await db.execute(sql`INSERT INTO app.liveness_checks VALUES (${c.id}, ${c.person}, ${c.photo}, ${c.doneAt})`);
    for (const a of c.attachments) await db.execute(sql`INSERT INTO app.attachments VALUES (${att++}, ${c.id}, ${a})`);
  }
}

export const POLICY = `id: liveness-photos
title: 活体检测照片
category: face-image
classification: C3
basis: [个人信息保护法 第二十八条]
source:
  table: app.liveness_checks
  key: check_id
  subject: person
trigger:
  kind: expiry
  from: done_at
retain: P7D
action: delete
objects:
  - { column: photo, store: faces }
children:
  - table: app.attachments
    key: att_id
    foreign_key: check_id
    objects: [{ column: blob_path, store: docs }]
`;

/** A folder holding the policy above (and whatever else is given). */
export function policyDir(files: Record<string, string> = { 'liveness-photos.yaml': POLICY }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-objects-policies-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
