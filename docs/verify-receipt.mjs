#!/usr/bin/env node
// Checks a terning receipt, or an event's sold-out statement, with node:crypto alone (no terning
// code, no package).
//
// A receipt: its Ed25519 signature, its entry in the event's public log, the entry's RFC 6962
// inclusion proof, and the C2SP signed checkpoint the proof leads to, which must be the receipt's
// event's; and that the log's entries, read whole, hash to that checkpoint's root.
//
// A sold-out statement (every 409 SOLD_OUT carries it, in error.details.statement): its Ed25519
// signature and its fields; the event's signed checkpoint, and that the log's entries, read whole,
// hash to its root; and that the log bears the statement out, as `terning verify` checks it: its
// units are the stock the log set then, the tickets up to its last one filled them, and a ticket
// after it needed a unit given back or the stock raised.
//
//   node docs/verify-receipt.mjs RECEIPT_OR_STATEMENT SOURCE [PERSON]
//
// SOURCE is the server (http://127.0.0.1:3000) or a folder written by `terning log export`.
// PERSON, if given (a receipt only), is the address as terning keys it (trimmed, lower-case, a +tag
// dropped; at Gmail without dots): then the receipt's commitment must open to it.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const [jws, source, person] = process.argv.slice(2);
if (!jws || !source) {
  console.error('usage: node docs/verify-receipt.mjs RECEIPT_OR_STATEMENT SOURCE [PERSON]');
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
const iso = (ms) => new Date(ms).toISOString();
/** How far apart the API processes' clocks may be: the times of the log's entries come from them. */
const CLOCK_SKEW_MS = 1_000;

// 1. A compact JWS signed with Ed25519 by a published key; its header's typ says what it is.
const KINDS = new Map([
  ['terning-receipt+jws', 'the receipt'],
  ['terning-sold-out+jws', 'the sold-out statement'],
]);
const parts = jws.trim().split('.');
/** A JSON object, or undefined when it is not one. */
const objectOf = (text) => {
  try {
    const o = JSON.parse(text);
    return o !== null && typeof o === 'object' ? o : undefined;
  } catch {
    return undefined;
  }
};
const decoded = (part) => objectOf(Buffer.from(part ?? '', 'base64url').toString('utf8'));
const header = decoded(parts[0]);
const what = KINDS.get(header?.typ) ?? 'the receipt or statement';
if (parts.length !== 3 || parts.some((p) => Buffer.from(p, 'base64url').toString('base64url') !== p)) fail(`${what} is not a compact JWS`);
if (header === undefined) fail(`${what}'s header is not JSON: it was changed`);
if (header.alg !== 'EdDSA') fail(`${what} is not signed with EdDSA`);
if (!KINDS.has(header.typ)) fail(`${what} is of no type terning signs (its header's typ)`);
const claims = decoded(parts[1]);
if (claims === undefined) fail(`${what}'s claims are not JSON: it was changed`);
const { keys } = JSON.parse(await get('/.well-known/jwks.json', 'jwks.json'));
const jwk = keys.find((k) => k.kid === header.kid);
if (!jwk) fail(`${what} names key ${header.kid}, which is not published`);
if (!verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), keyOf(jwk), Buffer.from(parts[2], 'base64url')))
  fail(`${what}'s signature does not hold: it was changed after signing, or signed by another key`);

/** The name of the published key that signed a C2SP signed note's text, or undefined. */
const noteSigner = (note, text) =>
  note
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
    })?.[1];

/** A checkpoint (a C2SP signed note: origin, size, root), signed by a published key and of `event`'s log. */
const openCheckpoint = (note, event, whose) => {
  const text = note.slice(0, note.indexOf('\n\n') + 1);
  const [origin, size, root] = text.slice(0, -1).split('\n');
  const name = noteSigner(note, text);
  if (!name) fail('the checkpoint is not signed by a published key');
  if (origin !== `${name}/events/${event}`) fail(`the checkpoint is of ${origin}, not of ${whose} event (${name}/events/${event})`);
  return { origin, size: Number(size), root: Buffer.from(root ?? '', 'base64') };
};

/** The log's first `size` entries, read whole (from the server, page by page, or the export's entries.json). */
const readEntries = async (event, size) => {
  const entries = [];
  if (web)
    while (entries.length < size) {
      const page = JSON.parse(await get(`/api/events/${event}/log/entries?start=${entries.length}`));
      if (!page.entries.length) break;
      entries.push(...page.entries);
    }
  else entries.push(...JSON.parse(await get(null, 'entries.json')).entries);
  return entries.slice(0, size);
};

/** The Merkle tree hash of entries (RFC 9162 2.1.1). */
const mth = (hashes) => {
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return sha256(Buffer.of(1), mth(hashes.slice(0, k)), mth(hashes.slice(k)));
};
const rootOf = (entries) => mth(entries.map((e) => sha256(Buffer.of(0), Buffer.from(e))));

if (header.typ === 'terning-receipt+jws') await checkReceipt();
else await checkSoldOut();

async function checkReceipt() {
  ok(`the receipt is signed by published key ${header.kid}: event ${claims.event}, ticket ${claims.ticket}, at ${iso(claims.at)}`);
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

  // 4. The checkpoint the proof came with: signed by a published key, of the receipt's event, its root the proof's.
  const { origin, size, root } = openCheckpoint(p.checkpoint, claims.event, "the receipt's");
  if (size !== p.size || !root.equals(r)) fail("the inclusion proof does not lead to the checkpoint's root");
  ok(`the inclusion proof leads to the root of checkpoint ${origin} (${size} entries), signed by a published key`);

  // 5. The log's entries, read whole: the first `size` hash to that root, and the receipt's entry is the one at its index.
  const head = await readEntries(claims.event, p.size);
  if (head.length !== p.size || !rootOf(head).equals(r))
    fail("the log's entries do not hash to the checkpoint's root: an entry was changed, added or removed");
  if (head[p.index] !== leaf) fail(`the log's entries hold another entry at index ${p.index} than the receipt's`);
  ok(`the log's first ${p.size} entries hash to that root, the receipt's at index ${p.index}`);
  console.log('the receipt holds');
}

/** The operator's changes that may be in effect at time t: the last made by then, and any within the clocks' skew of it. */
function inEffect(changes, t) {
  let last;
  for (const c of changes) if (c.at <= t - CLOCK_SKEW_MS && (!last || c.at >= last.at)) last = c;
  return [...(last ? [last] : []), ...changes.filter((c) => c.at > t - CLOCK_SKEW_MS && c.at <= t + CLOCK_SKEW_MS)];
}

async function checkSoldOut() {
  const count = (v) => Number.isSafeInteger(v) && v > 0;
  const { event, units, lastTicket: last, at } = claims;
  if (person !== undefined) fail('a sold-out statement names nobody: give PERSON with a receipt only');
  if (claims.v !== 1 || typeof event !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(event) || ![units, last, at].every(count))
    fail('the sold-out statement is signed, but its fields are not a statement of version 1 (v, event, units, lastTicket, at)');
  ok(
    `the sold-out statement is signed by published key ${header.kid}: event ${event} sold its ${units} units, the last to ticket ${last}, at ${iso(at)}`,
  );

  // 2. The event's latest checkpoint, and the log's entries, read whole, hashing to its root.
  const { origin, size, root } = openCheckpoint(await get(`/api/events/${event}/log/checkpoint`, 'checkpoint'), event, "the statement's");
  ok(`checkpoint ${origin} (${size} entries) is signed by a published key`);
  const entries = await readEntries(event, size);
  if (entries.length !== size || !rootOf(entries).equals(root))
    fail("the log's entries do not hash to the checkpoint's root: an entry was changed, added or removed");
  const log = entries.map(objectOf);
  const stray = log.findIndex((e) => e?.v !== 1 || e.event !== event);
  if (stray >= 0) fail(`entry ${stray} is not an entry of event ${event}'s log`);
  const decisions = log.filter((e) => e.kind === 'won' || e.kind === 'released');
  const gap = decisions.findIndex((d, i) => d.ticket !== i + 1);
  if (gap >= 0) fail(`the log's tickets are not 1..${decisions.length} in order: ticket ${decisions[gap].ticket} where ${gap + 1} belongs`);
  ok(`the log's ${size} entries hash to its root: tickets 1..${decisions.length}, each decided once, in order`);

  // 3. What the log says of the moment it sold. Each ticket took a unit, and one given back before
  // the moment returned it: with W the winners among tickets 1..L, W <= units <= L. The stock in
  // effect from ticket L to the next must be `units`; a ticket after L needs a unit freed.
  const lastEntry = decisions.find((d) => d.ticket === last);
  if (!lastEntry)
    fail(
      `the statement's last ticket ${last} is not in the log yet (it enters once persisted, with every ticket before it): check again in a moment`,
    );
  const next = decisions.find((d) => d.ticket === last + 1);
  const stocks = log.filter((e) => e.kind === 'stock');
  const then = new Set(
    [...inEffect(stocks, lastEntry.at), ...stocks.filter((s) => s.at > lastEntry.at && (!next || s.at <= next.at + CLOCK_SKEW_MS))].map(
      (s) => s.total,
    ),
  );
  if (!then.has(units)) fail(`it says ${units} units, but the stock the log set then was ${[...then].join(' or ') || 'none'}`);
  ok(`its ${units} units are the stock the log set then`);
  const upTo = decisions.filter((d) => d.ticket <= last);
  const won = upTo.filter((d) => d.kind === 'won').length;
  const back = upTo.length - won;
  if (units > last)
    fail(`it says ${units} units were taken by ticket ${last}, but only ${last} tickets were handed out: it was not sold out`);
  if (won > units) fail(`the log holds ${won} winners among tickets 1..${last}, more than the statement's ${units} units`);
  ok(
    back
      ? `tickets 1..${last}: ${won} winners and ${back} given back, which fills ${units} units at the moment it sold (${last - units} given back before it and handed out again)`
      : `tickets 1..${last} are ${won} winners: exactly the ${units} units, filled`,
  );
  if (next) {
    const raised = stocks.some((s) => s.at > lastEntry.at - CLOCK_SKEW_MS && s.total > units);
    if (back <= last - units && !raised)
      fail(`ticket ${last + 1} was handed out after the event sold out, with no unit given back and no stock raised`);
    ok(`the log goes on after ticket ${last}: a unit given back or the stock raised let more in`);
  }
  console.log('the sold-out statement holds');
}
