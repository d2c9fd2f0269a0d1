import { sign } from 'node:crypto';
import { compactVerify, createLocalJWKSet, errors, type JSONWebKeySet } from 'jose';
import type { ProofKeys } from './proof-keys.ts';

/** What a proof's JWS says it is: a winner's receipt, or an event's sold-out statement. */
export type ProofType = 'terning-receipt+jws' | 'terning-sold-out+jws';

/**
 * Signs a proof as a compact JWS (EdDSA, Ed25519) under the current key's `kid`: RFC 7515's compact
 * form, built here around node:crypto's one-shot Ed25519 sign. jose's CompactSign gives the same bytes
 * (Ed25519 is deterministic; tests/jws.test.ts holds them equal) through WebCrypto's asynchronous sign,
 * which cost five times the CPU under a drop's concurrency (221 against 43 us a receipt,
 * `npm run bench -- --scenario proof`), and every winner's answer carries one.
 */
export class JwsSigner {
  /** Each type's protected header, encoded once: `{"alg":"EdDSA","kid":…,"typ":…}` in base64url. */
  private readonly header: Record<ProofType, string>;

  constructor(private readonly keys: ProofKeys) {
    const h = (typ: ProofType) => Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: keys.signer.kid, typ })).toString('base64url');
    this.header = { 'terning-receipt+jws': h('terning-receipt+jws'), 'terning-sold-out+jws': h('terning-sold-out+jws') };
  }

  sign(typ: ProofType, claims: object): Promise<string> {
    const input = `${this.header[typ]}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return Promise.resolve(`${input}.${sign(null, Buffer.from(input), this.keys.signer.privateKey).toString('base64url')}`);
  }
}

/** The public keys, as /.well-known/jwks.json serves them. */
export const jwksOf = (keys: ProofKeys): JSONWebKeySet => ({ keys: keys.published.map((k) => k.jwk) });

/**
 * A proof's signature checked against a key set: its claims, or why not, in words. Only EdDSA is
 * taken, and only the type asked for.
 */
export async function verifyJws(
  jws: string,
  jwks: JSONWebKeySet,
  typ: ProofType,
): Promise<{ claims: unknown; kid: string } | { problem: string }> {
  // Base64url's last character carries spare bits that decoders ignore: two spellings of one
  // signature would let a changed receipt pass. Only the canonical spelling is taken.
  const parts = jws.trim().split('.');
  if (parts.length !== 3 || parts.some((p) => Buffer.from(p, 'base64url').toString('base64url') !== p)) {
    return { problem: 'it is not a well-formed JWS (three parts, each in canonical base64url)' };
  }
  try {
    const { payload, protectedHeader } = await compactVerify(jws.trim(), createLocalJWKSet(jwks), { algorithms: ['EdDSA', 'Ed25519'] });
    if (protectedHeader.typ !== typ) return { problem: `it is a ${protectedHeader.typ ?? 'JWS without a type'}, not a ${typ}` };
    return { claims: JSON.parse(Buffer.from(payload).toString('utf8')), kid: protectedHeader.kid ?? '' };
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed)
      return { problem: 'the signature does not match what is signed: it was changed after signing, or signed by another key' };
    if (e instanceof errors.JWKSNoMatchingKey) return { problem: 'it names a key (kid) that the log does not publish' };
    if (e instanceof errors.JOSEAlgNotAllowed) return { problem: 'it is not signed with EdDSA' };
    if (e instanceof errors.JWSInvalid || e instanceof SyntaxError)
      return { problem: `it is not a well-formed JWS (${(e as Error).message})` };
    return { problem: `it could not be checked: ${(e as Error).message}` };
  }
}
