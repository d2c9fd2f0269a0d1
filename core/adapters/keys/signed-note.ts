import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import type { ProofKey, ProofKeys } from './proof-keys.ts';

/**
 * C2SP signed notes (c2sp.org/signed-note), as transparency logs sign their checkpoints
 * (c2sp.org/tlog-checkpoint): the text, a blank line, then one line per signature,
 * "— <key name> <base64(key id || Ed25519 signature)>", the key id being the first 4 bytes of
 * SHA-256(key name || "\n" || 0x01 || public key).
 */
const ED25519 = 0x01;

export function keyIdOf(name: string, raw: Buffer): Buffer {
  return createHash('sha256').update(name).update(Buffer.of(0x0a, ED25519)).update(raw).digest().subarray(0, 4);
}

/** A note's verifier key in the Go sumdb/note form: <name>+<hex key id>+<base64(0x01 || key)>. */
export const verifierKeyOf = (name: string, key: ProofKey) =>
  `${name}+${keyIdOf(name, key.raw).toString('hex')}+${Buffer.concat([Buffer.of(ED25519), key.raw]).toString('base64')}`;

export function signNote(text: string, name: string, keys: ProofKeys): string {
  if (!text.endsWith('\n') || text.includes('\n\n')) throw new Error("a note's text ends in one newline and has no blank line");
  const signature = sign(null, Buffer.from(text), keys.signer.privateKey);
  return `${text}\n— ${name} ${Buffer.concat([keyIdOf(name, keys.signer.raw), signature]).toString('base64')}\n`;
}

/** The note's text when a signature by one of `keys` holds, else why not. */
export function openNote(note: string, keys: { raw: Buffer }[]): { text: string; name: string } | { problem: string } {
  const split = note.indexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return { problem: 'it is not a signed note (text, a blank line, signatures)' };
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  let named = false;
  for (const line of lines) {
    const m = /^— (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) return { problem: `a signature line is malformed: ${JSON.stringify(line.slice(0, 80))}` };
    const [, name, b64] = m as unknown as [string, string, string];
    const blob = Buffer.from(b64, 'base64');
    for (const k of keys) {
      if (blob.length !== 68 || !blob.subarray(0, 4).equals(keyIdOf(name, k.raw))) continue;
      named = true;
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.raw.toString('base64url') }, format: 'jwk' });
      if (verify(null, Buffer.from(text), publicKey, blob.subarray(4))) return { text, name };
    }
  }
  return {
    problem: named
      ? 'the signature does not match the text: the checkpoint was changed after signing'
      : 'no signature is by a key this log publishes: it was signed by another key',
  };
}
