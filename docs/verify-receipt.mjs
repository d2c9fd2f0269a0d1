#!/usr/bin/env node
// Checks a terning receipt with node:crypto alone (no terning code, no package): its Ed25519
// signature, its entry in the event's public log, the entry's RFC 6962 inclusion proof, and the
// C2SP signed checkpoint the proof leads to, which must be the receipt's event's; and that the log's
// entries, read whole, hash to that checkpoint's root.
//
//   node docs/verify-receipt.mjs RECEIPT SOURCE [PERSON]
//
// SOURCE is the server (http://127.0.0.1:3000) or a folder written by `terning log export`.
// PERSON, if given, is the address as terning keys it (trimmed, lower-case, a +tag dropped; at
// Gmail without dots): then the receipt's commitment must open to it.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const [receipt, source, person] = process.argv.slice(2);
if (!receipt || !source) {
  console.error('usage: node docs/verify-receipt.mjs RECEIPT SOURCE [PERSON]');
  process.exit(2);
}
const fail = (why) => {
  console.log(`✗ ${why}`);
  process.exit(1);
};
const ok = (what) => console.log(`✓ ${what}`);
const web = /^https?:\/\//.test(source);
const get = async (path, file) => {
  if (web) {
    const res = await fetch(new URL(path, source));
    if (!res.ok) fail(`${path} answered ${res.status}`);
    return res.text();
  }
  return readFile(join(source, file), 'utf8');
};
const keyOf = (jwk) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();

// 1. The receipt: a compact JWS signed with Ed25519 by a published key.
const parts = receipt.trim().split('.');
if (parts.length !== 3 || parts.some((p) => Buffer.from(p, 'base64url').toString('base64url') !== p))
  fail('the receipt is not a compact JWS');
const json = (part, what) => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return fail(`the receipt's ${what} is not JSON: the receipt was changed`);
  }
};
const header = json(parts[0], 'header');
const claims = json(parts[1], 'claims');
const { keys } = JSON.parse(await get('/.well-known/jwks.json', 'jwks.json'));
const jwk = keys.find((k) => k.kid === header.kid);
if (header.alg !== 'EdDSA' || header.typ !== 'terning-receipt+jws') fail('the receipt is not an EdDSA terning receipt');
if (!jwk) fail(`the receipt names key ${header.kid}, which is not published`);
if (!verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), keyOf(jwk), Buffer.from(parts[2], 'base64url')))
  fail("the receipt's signature does not hold");
ok(
  `the receipt is signed by published key ${header.kid}: event ${claims.event}, ticket ${claims.ticket}, at ${new Date(claims.at).toISOString()}`,
);
if (person !== undefined) {
  if (sha256(Buffer.from(claims.nonce, 'base64url'), Buffer.from(person)).toString('hex') !== claims.commitment)
    fail(`the commitment does not open to ${person}`);
  ok(`its commitment opens to ${person}`);
}

// 2. Its log entry, written from the receipt byte for byte, and the entry the log holds.
const leaf = `{"v":1,"kind":"won","event":${JSON.stringify(claims.event)},"ticket":${claims.ticket},"at":${claims.at},"commitment":"${claims.commitment}"}`;
const p = JSON.parse(await get(`/api/events/${claims.event}/log/proof?ticket=${claims.ticket}`, join('proofs', `${claims.ticket}.json`)));
if (p.leaf !== leaf) fail(`the log's entry for ticket ${claims.ticket} is not the receipt's: ${p.leaf}`);
ok(`the log holds the receipt's entry, at index ${p.index} of ${p.size}`);

// 3. The inclusion proof (RFC 9162 2.1.3.2) from the entry's hash up to a root.
let fn = p.index;
let sn = p.size - 1;
let r = sha256(Buffer.of(0), Buffer.from(leaf));
for (const h of p.proof.map((x) => Buffer.from(x, 'base64'))) {
  if (sn === 0) fail('the inclusion proof is too long');
  if (fn % 2 === 1 || fn === sn) {
    r = sha256(Buffer.of(1), h, r);
    while (fn % 2 === 0 && fn !== 0) {
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
  } else {
    r = sha256(Buffer.of(1), r, h);
  }
  fn = Math.floor(fn / 2);
  sn = Math.floor(sn / 2);
}
if (sn !== 0) fail('the inclusion proof is too short');

// 4. The checkpoint (a C2SP signed note): origin, size, root; signed by a published key.
const note = p.checkpoint;
const text = note.slice(0, note.indexOf('\n\n') + 1);
const [origin, size, root] = text.slice(0, -1).split('\n');
if (Number(size) !== p.size || root !== r.toString('base64')) fail("the inclusion proof does not lead to the checkpoint's root");
const signer = note
  .slice(text.length + 1)
  .trim()
  .split('\n')
  .map((line) => /^— (\S+) (\S+)$/.exec(line) ?? [])
  .find(([, name, b64]) => {
    const blob = Buffer.from(b64 ?? '', 'base64');
    return keys.some((k) => {
      const raw = Buffer.from(k.x, 'base64url');
      const id = sha256(Buffer.from(name ?? ''), Buffer.of(0x0a, 0x01), raw).subarray(0, 4);
      return blob.length === 68 && blob.subarray(0, 4).equals(id) && verify(null, Buffer.from(text), keyOf(k), blob.subarray(4));
    });
  });
if (!signer) fail('the checkpoint is not signed by a published key');
if (origin !== `${signer[1]}/events/${claims.event}`)
  fail(`the checkpoint is of ${origin}, not of the receipt's event (${signer[1]}/events/${claims.event})`);
ok(`the inclusion proof leads to the root of checkpoint ${origin} (${size} entries), signed by a published key`);

// 5. The log's entries, read whole: the first `size` hash to that root (RFC 9162 2.1.1), and the
// receipt's entry is the one at its index.
const entries = [];
if (web)
  while (entries.length < p.size) {
    const page = JSON.parse(await get(`/api/events/${claims.event}/log/entries?start=${entries.length}`));
    if (!page.entries.length) break;
    entries.push(...page.entries);
  }
else entries.push(...JSON.parse(await get(null, 'entries.json')).entries);
const mth = (hashes) => {
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return sha256(Buffer.of(1), mth(hashes.slice(0, k)), mth(hashes.slice(k)));
};
const head = entries.slice(0, p.size);
if (head.length !== p.size || !mth(head.map((e) => sha256(Buffer.of(0), Buffer.from(e)))).equals(r))
  fail("the log's entries do not hash to the checkpoint's root: an entry was changed, added or removed");
if (head[p.index] !== leaf) fail(`the log's entries hold another entry at index ${p.index} than the receipt's`);
ok(`the log's first ${p.size} entries hash to that root, the receipt's at index ${p.index}`);
console.log('the receipt holds');
