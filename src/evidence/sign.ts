// Detached signatures of evidence exports. Ed25519 in Node signs a whole buffer at once, so the
// signature covers the file's SHA-256 (streamed: an export can be large) under a fixed prefix
// that names what is signed. Whoever holds only the public key can check that the file is the
// one lethe wrote; the HMAC hashes inside need LETHE_SECRET (see offline.ts).
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { keyId } from './keys.ts';

export const SIGNATURE_FORMAT = 'lethe-export-signature/1';
export const SIGNATURE_SUFFIX = '.sig';

export interface SignatureFile {
  format: typeof SIGNATURE_FORMAT;
  algorithm: 'Ed25519';
  key_id: string;
  file_sha256: string;
  signed_at: string;
  signature: string;
}

export type SignatureStatus = 'valid' | 'invalid' | 'file-changed' | 'absent' | 'unreadable' | 'no-key' | 'other-key';

export interface SignatureCheck {
  status: SignatureStatus;
  ok: boolean;
  key_id: string | null;
  message: string;
}

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const message = (sha256: string) => Buffer.from(`${SIGNATURE_FORMAT}\n${sha256}`, 'utf8');

/** Writes `<path>.sig` and returns its path. */
export async function signFile(path: string, key: KeyObject, now: Date): Promise<string> {
  const sha = await fileSha256(path);
  const sig: SignatureFile = {
    format: SIGNATURE_FORMAT, algorithm: 'Ed25519', key_id: keyId(key), file_sha256: sha,
    signed_at: now.toISOString(), signature: sign(null, message(sha), key).toString('base64'),
  };
  const out = `${path}${SIGNATURE_SUFFIX}`;
  await writeFile(out, `${JSON.stringify(sig, null, 2)}\n`);
  return out;
}

/** Checks `<path>.sig` against the file; `key` is the public key (or the private one, whose half is used). */
export async function checkSignature(path: string, key: KeyObject | undefined): Promise<SignatureCheck> {
  const sigPath = `${path}${SIGNATURE_SUFFIX}`;
  let text: string;
  try {
    text = await readFile(sigPath, 'utf8');
  } catch {
    return { status: 'absent', ok: false, key_id: null, message: `no signature: ${sigPath} does not exist (the export was not signed)` };
  }
  let sig: SignatureFile;
  try {
    sig = JSON.parse(text) as SignatureFile;
    if (sig.format !== SIGNATURE_FORMAT || typeof sig.signature !== 'string' || typeof sig.file_sha256 !== 'string') throw new Error('format');
  } catch {
    return { status: 'unreadable', ok: false, key_id: null, message: `${sigPath} is not a lethe export signature (${SIGNATURE_FORMAT})` };
  }
  if (!key) return { status: 'no-key', ok: false, key_id: sig.key_id, message: `signature not checked: LETHE_EXPORT_VERIFY_KEY is not set (the export was signed by key ${sig.key_id})` };
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const ours = keyId(pub);
  if (!verify(null, message(sig.file_sha256), pub, Buffer.from(sig.signature, 'base64'))) {
    return sig.key_id !== ours
      ? { status: 'other-key', ok: false, key_id: sig.key_id, message: `signature INVALID: signed by key ${sig.key_id}, LETHE_EXPORT_VERIFY_KEY is key ${ours}` }
      : { status: 'invalid', ok: false, key_id: sig.key_id, message: `signature INVALID: ${sigPath} was altered or not made by key ${ours}` };
  }
  if ((await fileSha256(path)) !== sig.file_sha256) {
    return { status: 'file-changed', ok: false, key_id: sig.key_id, message: `signature does not match the file: ${path} was changed after it was signed` };
  }
  return { status: 'valid', ok: true, key_id: sig.key_id, message: `signature valid (Ed25519, key ${sig.key_id}, signed ${sig.signed_at})` };
}
