import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** An Ed25519 key of the proofs: the receipts', the sold-out statements' and the checkpoints'. */
export interface ProofKey {
  /** The RFC 7638 thumbprint of the public key: the `kid` of what it signs. */
  kid: string;
  publicKey: KeyObject;
  /** The 32 bytes of the public key. */
  raw: Buffer;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; use: 'sig'; alg: 'EdDSA' };
}

export interface ProofKeys {
  /** The key that signs now. */
  signer: ProofKey & { privateKey: KeyObject };
  /**
   * Every key a checker may meet: the signer first, then the next one (published ahead of signing, so
   * that every key list a checker holds knows it by the time it signs), then retired ones, so old
   * receipts stay checkable.
   */
  published: ProofKey[];
  /** The secret the winners' nonces are derived from (core/use-cases/proof/entries.ts nonceOf). */
  nonceSecret: Buffer;
}

/**
 * The file or variable's shape: `keys[0]` signs (a private JWK), the rest are retired (public or
 * private JWKs); `next`, when there is one, is the private key a rotation will sign with, published
 * now (`terning log keygen --prepare`, then `--rotate`: docs/proof-of-place.md, Keys and rotation).
 */
type Jwk = { kty?: string; crv?: string; x?: string; d?: string };
interface KeysFile {
  keys: Jwk[];
  next?: Jwk;
  nonceSecret: string;
}

export class ProofKeysError extends Error {}

const publicOf = (publicKey: KeyObject): ProofKey => {
  const x = (publicKey.export({ format: 'jwk' }) as { x?: string }).x;
  if (publicKey.asymmetricKeyType !== 'ed25519' || !x) throw new ProofKeysError('a proof key must be an Ed25519 key');
  // RFC 7638: the required members, in lexicographic order, no white space.
  const kid = createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
  return { kid, publicKey, raw: Buffer.from(x, 'base64url'), jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' } };
};

export function parseProofKeys(text: string, where: string): ProofKeys {
  let file: KeysFile;
  try {
    file = JSON.parse(text) as KeysFile;
  } catch {
    throw new ProofKeysError(`${where} is not JSON`);
  }
  if (!Array.isArray(file?.keys) || file.keys.length === 0)
    throw new ProofKeysError(`${where} names no key ("keys": [a private Ed25519 JWK, ...])`);
  const secret = typeof file.nonceSecret === 'string' ? Buffer.from(file.nonceSecret, 'base64url') : Buffer.alloc(0);
  if (secret.length < 32) throw new ProofKeysError(`${where} needs a "nonceSecret" of at least 32 bytes (base64url)`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: file.keys[0]!, format: 'jwk' });
  } catch {
    throw new ProofKeysError(`${where}: keys[0] must be a private Ed25519 JWK (with "d"): it signs`);
  }
  const publicKeyOf = (k: Jwk, name: string) => {
    try {
      return publicOf(createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x }, format: 'jwk' }));
    } catch (e) {
      throw new ProofKeysError(`${where}: ${name} is not an Ed25519 JWK${e instanceof ProofKeysError ? '' : ` (${(e as Error).message})`}`);
    }
  };
  const published = file.keys.map((k, i) => publicKeyOf(k, `keys[${i}]`));
  const signer = { ...publicOf(createPublicKey(privateKey)), privateKey };
  if (signer.kid !== published[0]!.kid) throw new ProofKeysError(`${where}: keys[0]'s "x" is not its private key's public half`);
  if (file.next !== undefined) {
    if (typeof file.next?.d !== 'string')
      throw new ProofKeysError(`${where}: "next" must be a private Ed25519 JWK (with "d"): it will sign`);
    published.splice(1, 0, publicKeyOf(file.next, '"next"'));
  }
  return { signer, published, nonceSecret: secret };
}

const pub = (k: Jwk): Jwk => ({ kty: k.kty, crv: k.crv, x: k.x });
const fileText = (f: KeysFile) => `${JSON.stringify(f, null, 2)}\n`;

/**
 * Phase one of a rotation: the file in use with a fresh `next` key, published by every process that
 * loads it while keys[0] still signs. Rolled out, it is in every key list before it signs anything.
 */
export function preparedKeysFile(current: string): string {
  const old = JSON.parse(current) as KeysFile;
  const { privateKey } = generateKeyPairSync('ed25519');
  return fileText({ keys: old.keys, next: privateKey.export({ format: 'jwk' }) as Jwk, nonceSecret: old.nonceSecret });
}

/**
 * A new key file's text. Without `previous`: a fresh signing key and nonce secret. With it (a rotation):
 * its prepared `next` key signs (a fresh one when none was prepared), its keys stay published as
 * retired, and its nonce secret is kept.
 */
export function newKeysFile(previous?: string): string {
  const old = previous ? (JSON.parse(previous) as KeysFile) : undefined;
  const signer = old?.next ?? (generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as Jwk);
  return fileText({
    keys: [signer, ...(old?.keys ?? []).map(pub)],
    nonceSecret: old?.nonceSecret ?? randomBytes(32).toString('base64url'),
  });
}

/**
 * The keys from PROOF_KEYS (the file's text) or PROOF_KEYS_FILE; outside production, without either,
 * from a development file made once under .terning/ (production refuses to start without one:
 * core/platform/config.ts).
 */
export function loadProofKeys(proof: { keys?: string; keysFile?: string; devKeysFile: string }): ProofKeys {
  if (proof.keys) return parseProofKeys(proof.keys, 'PROOF_KEYS');
  if (proof.keysFile) return parseProofKeys(readOrFail(proof.keysFile), `PROOF_KEYS_FILE (${proof.keysFile})`);
  const path = proof.devKeysFile;
  mkdirSync(dirname(path), { recursive: true });
  // Written whole, then linked into place: of two processes starting at once, one links, the other
  // finds the file (EEXIST) and reads it, never a half-written one.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, newKeysFile(), { mode: 0o600 });
  try {
    linkSync(draft, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(draft);
  }
  return parseProofKeys(readOrFail(path), path);
}

function readOrFail(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ProofKeysError(`the proof keys can not be read from ${path}: ${(e as Error).message}`);
  }
}
