// Ed25519 keys for signed evidence exports. A key is given as PEM, or as the base64 of its DER
// (PKCS#8 for the private key, SPKI for the public one) so that it fits one environment line.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export type { KeyObject };

/** PEM, or base64 DER (`der` says which structure); undefined unless it is an Ed25519 key. */
function readKey(text: string, der: 'pkcs8' | 'spki'): KeyObject | undefined {
  const trimmed = text.trim();
  try {
    let key: KeyObject;
    if (trimmed.startsWith('-----BEGIN')) {
      // Environment files often carry the PEM's line breaks as a literal \n.
      const pem = trimmed.replace(/\\n/g, '\n');
      key = der === 'pkcs8' ? createPrivateKey({ key: pem, format: 'pem' }) : createPublicKey({ key: pem, format: 'pem' });
    } else {
      const bytes = Buffer.from(trimmed, 'base64');
      key = der === 'pkcs8' ? createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }) : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
    }
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

export function parseSigningKey(text: string): KeyObject | undefined {
  const key = readKey(text, 'pkcs8');
  return key?.type === 'private' ? key : undefined;
}

/** A public key; a private key is accepted too (its public half is used). */
export function parseVerifyKey(text: string): KeyObject | undefined {
  const priv = parseSigningKey(text);
  if (priv) return createPublicKey(priv);
  return readKey(text, 'spki');
}

/** Short, stable name of a public key (sha256 of its SPKI DER): says which key signed, reveals nothing. */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
}

export interface KeyPair {
  /** base64 PKCS#8 DER: the value of LETHE_EXPORT_SIGNING_KEY. */
  privateKey: string;
  /** base64 SPKI DER: the value of LETHE_EXPORT_VERIFY_KEY. */
  publicKey: string;
  keyId: string;
}

export function generateSigningKeys(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    keyId: keyId(publicKey),
  };
}
