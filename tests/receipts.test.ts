import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { CompactSign, type JSONWebKeySet } from 'jose';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { envFor, spawnServer } from './support/processes.ts';
import { checkReceipt, checkSoldOut } from '../core/use-cases/proof/check-receipt.ts';
import { commitmentOf } from '../core/use-cases/proof/entries.ts';
import { personOf } from '../core/use-cases/participant/identity.ts';
import { newKeysFile, parseProofKeys, ProofKeysError } from '../core/adapters/keys/proof-keys.ts';

// One API process, no consumer: a receipt is signed at answer time and needs nothing persisted.
let sys: System;
let jwks: JSONWebKeySet;
test.before(async () => {
  sys = await startSystem({ consumer: false });
  const res = await http(sys.url, 'GET', '/.well-known/jwks.json');
  jwks = res.body;
});
test.after.always(async () => {
  await sys?.stop();
});

const apply = async (eventId: string, email: string) =>
  http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });

test.serial(
  "a winner's 202, their repeat's 200 and their status carry one receipt, signed, naming their decision and committing to them",
  async (t) => {
    const eventId = await newEvent(sys, 2);
    const email = randomEmail('win.ner+tag');
    const won = await apply(eventId, email);
    t.is(won.status, 202);
    const checked = await checkReceipt(won.body.receipt, jwks, personOf(email));
    t.true(checked.ok, JSON.stringify(checked));
    if (!checked.ok) return;
    t.like(checked.claims, { v: 1, event: eventId, ticket: won.body.ticket, at: Date.parse(won.body.decidedAt) });
    t.is(checked.kid, jwks.keys[0]!.kid!);
    t.is(checked.claims.commitment, commitmentOf(personOf(email), Buffer.from(checked.claims.nonce, 'base64url')));
    const again = await apply(eventId, email);
    t.is(again.status, 200);
    t.is(again.body.receipt, won.body.receipt, 'any repeat answers the same receipt');
    const status = await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token: await sys.tokens.issue(email) });
    t.is(status.body.receipt, won.body.receipt);
    const other = await checkReceipt(won.body.receipt, jwks, personOf(randomEmail()));
    t.false(other.ok);
    t.regex(other.ok ? '' : other.problem, /commitment is not to/);
  },
);

test.serial('a receipt changed in any byte, or signed by another key, fails and says why', async (t) => {
  const eventId = await newEvent(sys, 1);
  const won = await apply(eventId, randomEmail());
  const receipt: string = won.body.receipt;
  const problems = new Set<string>();
  for (let i = 0; i < receipt.length; i++) {
    if (receipt[i] === '.') continue;
    const changed = receipt.slice(0, i) + (receipt[i] === 'A' ? 'B' : 'A') + receipt.slice(i + 1);
    const r = await checkReceipt(changed, jwks);
    t.false(r.ok, `byte ${i} changed still checks`);
    if (!r.ok) problems.add(r.problem.replace(/\(.*\)/, '(...)'));
  }
  t.log([...problems]);
  t.true([...problems].every((p) => p.startsWith('the receipt')));
  const { privateKey } = generateKeyPairSync('ed25519');
  const [, payload] = receipt.split('.');
  const forged = await new CompactSign(Buffer.from(payload!, 'base64url'))
    .setProtectedHeader({ alg: 'EdDSA', kid: jwks.keys[0]!.kid, typ: 'terning-receipt+jws' })
    .sign(privateKey);
  const r = await checkReceipt(forged, jwks);
  t.false(r.ok);
  t.regex(r.ok ? '' : r.problem, /signed by another key/);
});

test.serial("every SOLD_OUT carries the event's one signed sold-out statement: units, last ticket, the moment it sold", async (t) => {
  const eventId = await newEvent(sys, 2);
  const winners = [await apply(eventId, randomEmail()), await apply(eventId, randomEmail())];
  // The gate's own first SOLD_OUT, before the board is read, carries it too.
  const first = await apply(eventId, randomEmail());
  t.is(first.status, 409);
  const statement = first.body.error.details?.statement as string;
  t.truthy(statement, 'the first SOLD_OUT carries the statement');
  const checked = await checkSoldOut(statement, jwks);
  t.true(checked.ok, JSON.stringify(checked));
  if (!checked.ok) return;
  t.deepEqual(checked.claims, {
    v: 1,
    event: eventId,
    units: 2,
    lastTicket: 2,
    at: Math.max(...winners.map((w) => Date.parse(w.body.decidedAt))),
  });
  for (let i = 0; i < 5; i++) t.is((await apply(eventId, randomEmail())).body.error.details.statement, statement);
});

test.serial("two API processes answer one event's SOLD_OUT with the same statement, byte for byte", async (t) => {
  const { proof } = sys.config;
  const other = await spawnServer(
    envFor(sys.config, proof.keys ? { PROOF_KEYS: proof.keys } : { PROOF_KEYS_FILE: proof.keysFile ?? proof.devKeysFile }),
  );
  t.teardown(() => {
    other.child.kill('SIGTERM');
  });
  const eventId = await newEvent(sys, 2);
  t.is((await apply(eventId, randomEmail())).status, 202);
  t.is((await http(other.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail()) })).status, 202);
  // Each process reads the sold-out board and signs the statement itself.
  const statementFrom = (url: string) =>
    until(
      `a SOLD_OUT with its statement from ${url}`,
      async () => {
        const r = await http(url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail()) });
        t.is(r.status, 409);
        return r.body.error.details?.statement as string | undefined;
      },
      10_000,
      50,
    );
  const [mine, theirs] = await Promise.all([statementFrom(sys.url), statementFrom(other.url)]);
  t.is(theirs, mine);
  const checked = await checkSoldOut(mine, jwks);
  t.like(checked, { ok: true, claims: { event: eventId, units: 2, lastTicket: 2 } });
});

test('the key file: keys[0] signs and must be private, retired keys stay published, the nonce secret is kept across a rotation', (t) => {
  const first = newKeysFile();
  const rotated = newKeysFile(first);
  const a = parseProofKeys(first, 'first');
  const b = parseProofKeys(rotated, 'rotated');
  t.deepEqual(
    b.published.map((k) => k.kid),
    [b.signer.kid, a.signer.kid],
  );
  t.true(a.nonceSecret.equals(b.nonceSecret));
  t.throws(() => parseProofKeys('{', 'x'), { instanceOf: ProofKeysError, message: /x is not JSON/ });
  t.throws(() => parseProofKeys('{"keys":[]}', 'x'), { message: /names no key/ });
  const publicOnly = JSON.stringify({ keys: [JSON.parse(rotated).keys[1]], nonceSecret: JSON.parse(first).nonceSecret });
  t.throws(() => parseProofKeys(publicOnly, 'x'), { message: /keys\[0\] must be a private Ed25519 JWK/ });
  t.throws(() => parseProofKeys(JSON.stringify({ ...JSON.parse(first), nonceSecret: 'c2hvcnQ' }), 'x'), { message: /nonceSecret/ });
});
