// The store registry: checked like policy files, credentials only by variable name.
import { describe, expect, it } from 'vitest';
import { parseStoreRegistry, assertStoreCredentials, loadStoreRegistry } from '../../src/objects/stores.ts';
import { locate } from '../../src/objects/pointers.ts';
import { PolicyError, ConfigError } from '../../src/errors.ts';

const GOOD = `- id: face-images
  kind: s3
  endpoint: http://127.0.0.1:9000
  region: us-east-1
  bucket: lender-face
  access_key_env: FACE_S3_ACCESS_KEY
  secret_key_env: FACE_S3_SECRET_KEY
  path_style: true
  versioned: false
`;

const problems = (text: string): string[] => {
  try {
    parseStoreRegistry(text, 'stores.yaml');
  } catch (e) {
    if (e instanceof PolicyError) return e.message.split('\n');
    throw e;
  }
  return [];
};

describe('stores.yaml', () => {
  it('reads the contract\'s example, as a list or under stores:', () => {
    const r = parseStoreRegistry(GOOD, 'stores.yaml');
    expect(r.get('face-images')).toMatchObject({ bucket: 'lender-face', versioned: false, pathStyle: true, accessKeyEnv: 'FACE_S3_ACCESS_KEY' });
    const wrapped = parseStoreRegistry(`stores:\n${GOOD.replace(/^/gm, '  ')}`, 'stores.yaml');
    expect(wrapped.stores).toHaveLength(1);
  });

  it('a missing file is no stores', () => {
    expect(loadStoreRegistry('/nonexistent/stores.yaml').stores).toEqual([]);
  });

  it('names the place of each problem as file:line:col', () => {
    expect(problems(GOOD.replace('kind: s3', 'kind: gcs'))).toEqual([expect.stringMatching(/^stores\.yaml:2:9: .*s3 is the only kind/)]);
    expect(problems(GOOD.replace('bucket: lender-face', 'bucket: Lender_Face'))).toEqual([expect.stringMatching(/^stores\.yaml:5:11: .*not an S3 bucket name/)]);
    expect(problems(GOOD.replace('FACE_S3_SECRET_KEY', 'wJalrXUtnFEMI/K7MDENG'))).toEqual([expect.stringMatching(/^stores\.yaml:7:19: .*environment variable name/)]);
    expect(problems(GOOD.replace('  versioned: false\n', ''))).toEqual([expect.stringMatching(/^stores\.yaml:1:3: .*versioned/)]);
    expect(problems(GOOD + GOOD.replace(/^- /, '- ').replace('FACE_S3', 'OTHER_S3').replace('FACE_S3', 'OTHER_S3'))).toEqual([expect.stringMatching(/^stores\.yaml:10:7: store id "face-images" appears twice/)]);
    expect(problems(GOOD.replace('path_style: true', 'path_styel: true'))).toEqual([expect.stringMatching(/^stores\.yaml:8:3: unknown key "path_styel"/)]);
    expect(problems('id: x\n')).toEqual([expect.stringMatching(/^stores\.yaml:1:1: the store registry is a list/)]);
  });

  it('a store whose variable is unset stops start-up, naming the variable and never a value', () => {
    const r = parseStoreRegistry(GOOD, 'stores.yaml');
    const env: Record<string, string> = { FACE_S3_ACCESS_KEY: 'AKIAEXAMPLEKEY' };
    expect(() => assertStoreCredentials(r, (n) => env[n])).toThrow(ConfigError);
    expect(() => assertStoreCredentials(r, (n) => env[n])).toThrow(/^FACE_S3_SECRET_KEY is not set: .*face-images/);
    env.FACE_S3_SECRET_KEY = 'secret-value-123';
    expect(() => assertStoreCredentials(r, (n) => env[n])).not.toThrow();
  });
});

describe('pointers', () => {
  const store = parseStoreRegistry(GOOD, 'stores.yaml').get('face-images')!;
  it('reads s3:// and the vendors\' schemes, and bare keys in the store\'s bucket', () => {
    expect(locate('s3://lender-face/a/b.jpg', store)).toEqual({ bucket: 'lender-face', key: 'a/b.jpg' });
    for (const s of ['oss', 'cos', 'obs', 'S3']) expect(locate(`${s}://lender-face/x y.jpg`, store)).toEqual({ bucket: 'lender-face', key: 'x y.jpg' });
    expect(locate('2026/01/a.jpg', store)).toEqual({ bucket: 'lender-face', key: '2026/01/a.jpg' });
    expect(locate(null, store)).toBeUndefined();
    expect(locate('   ', store)).toBeUndefined();
  });
  it('refuses another bucket, another scheme, a bucket without key', () => {
    expect(locate('s3://lender-face-backup/a.jpg', store)).toMatchObject({ refused: expect.stringMatching(/bucket other than/) });
    expect(locate('https://lender-face.oss.example/a.jpg', store)).toMatchObject({ refused: expect.stringMatching(/https:\/\/ URI/) });
    expect(locate('s3://lender-face/', store)).toMatchObject({ refused: expect.stringMatching(/no key/) });
    expect(locate('s3://lender-face', store)).toMatchObject({ refused: expect.any(String) });
  });
});
