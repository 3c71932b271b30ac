// One column, one meaning: a column some policy names as pointing to files is a pointer column
// for every policy that deletes rows of its table — else those rows' files would be orphaned.
import { describe, expect, it } from 'vitest';
import { policyDir, POLICY } from './world.ts';
import { loadPolicies } from '../../src/policy/load.ts';
import { checkPolicyStores } from '../../src/objects/check.ts';
import { makeStoreRegistry } from '../../src/objects/stores.ts';

const stores = makeStoreRegistry('stores.yaml', ['faces', 'docs'].map((id) => ({ id, kind: 's3' as const, endpoint: 'http://127.0.0.1:9', region: 'us-east-1',
  bucket: `${id}-bkt`, accessKeyEnv: 'K', secretKeyEnv: 'S', pathStyle: true, versioned: false, maxConcurrency: 1, maxAttempts: 1, timeoutMs: 1000, retryBaseMs: 100 })));

/** A second policy on the same tables: the attachments as its child, with these `objects:` (or none). */
const second = (childObjects: string) => POLICY.replace('id: liveness-photos', 'id: liveness-retakes').replace('retain: P7D', 'retain: P30D')
  .replace(/ {2}- table: app\.attachments\n {4}key: att_id\n {4}foreign_key: check_id\n {4}objects: \[\{ column: blob_path, store: docs \}\]\n/,
    `  - table: app.attachments\n    key: att_id\n    foreign_key: check_id\n${childObjects}`);

describe('objects columns agree across policies', () => {
  it('refuses a policy deleting rows whose files another policy says they point to, at its file:line:col', async () => {
    const policies = await loadPolicies(policyDir({ 'liveness-photos.yaml': POLICY, 'liveness-retakes.yaml': second('') }));
    const problems = checkPolicyStores(policies, stores);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: expect.stringMatching(/liveness-retakes\.yaml$/), line: expect.any(Number) });
    expect(problems[0]!.message).toBe('children[0].table: policy liveness-photos names app.attachments.blob_path as pointing to files in store docs, '
      + 'but this policy deletes rows of app.attachments without it: their files would stay in storage with nothing pointing to them; '
      + 'add objects: [{ column: blob_path, store: docs }]');
  });

  it('refuses one column named with two stores', async () => {
    const policies = await loadPolicies(policyDir({ 'liveness-photos.yaml': POLICY,
      'liveness-retakes.yaml': second('    objects: [{ column: blob_path, store: faces }]\n') }));
    expect(checkPolicyStores(policies, stores).map((p) => p.message)).toEqual([
      'children[0].table: app.attachments.blob_path points to files in store faces here and in store docs in policy liveness-photos; one column, one store',
    ]);
  });

  it('accepts policies that agree', async () => {
    const policies = await loadPolicies(policyDir({ 'liveness-photos.yaml': POLICY,
      'liveness-retakes.yaml': second('    objects: [{ column: blob_path, store: docs }]\n') }));
    expect(checkPolicyStores(policies, stores)).toEqual([]);
  });
});
