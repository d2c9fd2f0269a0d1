import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { newKeysFile, parseProofKeys, preparedKeysFile, ProofKeysError } from '../core/adapters/keys/proof-keys.ts';
import { JwsSigner, jwksOf } from '../core/adapters/keys/jws.ts';
import { Receipts } from '../core/use-cases/proof/receipts.ts';
import { checkReceipt } from '../core/use-cases/proof/check-receipt.ts';

// A rotation in two steps (docs/proof-of-place.md, Keys and rotation): the next key is published by
// every process before any of them signs with it, so no checker holding a key list from before the
// rotation meets a receipt it cannot check, and old receipts stay checkable after it.

const receiptBy = (file: string, ticket: number) => {
  const keys = parseProofKeys(file, 'file');
  return new Receipts(new JwsSigner(keys), keys.nonceSecret).forWinner('ev', ticket, 1_000 + ticket, 'kim@example.test');
};

test('prepared, the next key is published while the old one signs; rotated, it signs and the old one stays published', (t) => {
  const first = newKeysFile();
  const prepared = preparedKeysFile(first);
  const rotated = newKeysFile(prepared);
  const [a, p, r] = [first, prepared, rotated].map((f) => parseProofKeys(f, 'f'));
  t.is(p!.signer.kid, a!.signer.kid, 'preparing changes nothing that is signed');
  t.is(p!.published.length, 2);
  const next = p!.published[1]!.kid;
  t.not(next, a!.signer.kid);
  t.is(r!.signer.kid, next, 'the rotation signs with the key published before it');
  t.deepEqual(
    r!.published.map((k) => k.kid),
    [next, a!.signer.kid],
  );
  t.true(r!.nonceSecret.equals(a!.nonceSecret) && p!.nonceSecret.equals(a!.nonceSecret), 'the nonce secret is kept');
  const publicNext = JSON.stringify({ ...JSON.parse(prepared), next: { ...JSON.parse(prepared).next, d: undefined } });
  t.throws(() => parseProofKeys(publicNext, 'x'), { instanceOf: ProofKeysError, message: /"next" must be a private Ed25519 JWK/ });
});

test("across a rotation, every receipt checks against every key list a checker may hold: the old servers' and the new ones'", async (t) => {
  const first = newKeysFile();
  const prepared = preparedKeysFile(first);
  const rotated = newKeysFile(prepared);
  const before = await receiptBy(first, 1);
  const after = await receiptBy(rotated, 2);
  for (const [name, list] of [
    ['prepared', jwksOf(parseProofKeys(prepared, 'p'))],
    ['rotated', jwksOf(parseProofKeys(rotated, 'r'))],
  ] as const) {
    t.true((await checkReceipt(before, list)).ok, `a receipt from before, against the ${name} key list`);
    t.true((await checkReceipt(after, list)).ok, `a receipt from after, against the ${name} key list`);
  }
  // Rotating in one step, as before: a checker still holding the old key list does not know the new key.
  const oneStep = newKeysFile(first);
  const unknown = await checkReceipt(await receiptBy(oneStep, 3), jwksOf(parseProofKeys(first, 'f')));
  t.false(unknown.ok);
});

test('terning log keygen --prepare, then --rotate: the files of the two steps; a second --prepare is refused', async (t) => {
  const run = promisify(execFile);
  const bin = fileURLToPath(new URL('../bin/terning.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'terning-keys-'));
  const keygen = (...args: string[]) => run(process.execPath, [bin, 'log', 'keygen', ...args]);
  writeFileSync(join(dir, 'keys.json'), (await keygen()).stdout);
  const prepared = await keygen('--prepare', join(dir, 'keys.json'));
  writeFileSync(join(dir, 'prepared.json'), prepared.stdout);
  const rotated = await keygen('--rotate', join(dir, 'prepared.json'));
  t.is(parseProofKeys(rotated.stdout, 'rotated').signer.kid, parseProofKeys(prepared.stdout, 'prepared').published[1]!.kid);
  t.is(rotated.stderr, '', 'a prepared rotation needs no note');
  const oneStep = await keygen('--rotate', join(dir, 'keys.json'));
  t.regex(oneStep.stderr, /no next key was prepared/);
  const again = await keygen('--prepare', join(dir, 'prepared.json')).catch((e: { code: number; stderr: string }) => e);
  t.like(again, { code: 2 });
  t.regex((again as { stderr: string }).stderr, /has a next key already/);
});
