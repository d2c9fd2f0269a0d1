import test from 'ava';
import fc from 'fast-check';
import { CompactSign } from 'jose';
import { JwsSigner, jwksOf, verifyJws, type ProofType } from '../core/adapters/keys/jws.ts';
import { newKeysFile, parseProofKeys } from '../core/adapters/keys/proof-keys.ts';

/**
 * The signer builds the compact JWS itself around node:crypto's Ed25519 sign (jose's CompactSign cost
 * five times the CPU): what it makes must be what jose makes, byte for byte, and what any JOSE library
 * checks. Ed25519 is deterministic, so the same key, header and claims give one JWS.
 */
const keys = parseProofKeys(newKeysFile(), 'test');
const signer = new JwsSigner(keys);
const types: ProofType[] = ['terning-receipt+jws', 'terning-sold-out+jws'];

const byJose = (typ: ProofType, claims: object) =>
  new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.signer.kid, typ })
    .sign(keys.signer.privateKey);

test('a proof is the JWS jose signs, byte for byte, for any claims', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...types), fc.object(), async (typ, claims) => {
      t.is(await signer.sign(typ, claims), await byJose(typ, claims));
    }),
    { numRuns: 300 },
  );
});

test('a proof checks against the published keys as its own type only', async (t) => {
  const claims = { v: 1, event: 'ev-één', ticket: 7, at: 1_800_000_000_000, nonce: 'n', commitment: 'c' };
  const jws = await signer.sign('terning-receipt+jws', claims);
  t.deepEqual(await verifyJws(jws, jwksOf(keys), 'terning-receipt+jws'), { claims, kid: keys.signer.kid });
  t.like(await verifyJws(jws, jwksOf(keys), 'terning-sold-out+jws'), {
    problem: 'it is a terning-receipt+jws, not a terning-sold-out+jws',
  });
  const other = parseProofKeys(newKeysFile(), 'other');
  t.true('problem' in (await verifyJws(jws, jwksOf(other), 'terning-receipt+jws')));
  const [h, p, s] = jws.split('.');
  const changed = `${h}.${Buffer.from(JSON.stringify({ ...claims, ticket: 8 })).toString('base64url')}.${s}`;
  t.like(await verifyJws(changed, jwksOf(keys), 'terning-receipt+jws'), {
    problem: 'the signature does not match what is signed: it was changed after signing, or signed by another key',
  });
  t.is(p, Buffer.from(JSON.stringify(claims)).toString('base64url'));
});
