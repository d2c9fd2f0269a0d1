import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { envFor, spawnTerning } from './support/processes.ts';
import { httpSource } from '../core/adapters/public-log/sources.ts';
import { verify } from '../core/use-cases/proof/verify.ts';
import { checkLog } from '../core/use-cases/proof/check-log.ts';
import { leafHash, MerkleTree, verifyConsistency } from '../core/use-cases/proof/merkle.ts';
import { leafBytes, type LogEntry } from '../core/use-cases/proof/entries.ts';
import { JwsSigner } from '../core/adapters/keys/jws.ts';
import { keyIdOf, signNote } from '../core/adapters/keys/signed-note.ts';
import { loadProofKeys, newKeysFile, parseProofKeys } from '../core/adapters/keys/proof-keys.ts';
import { checkpointText, originOf } from '../core/use-cases/proof/public-log.ts';
import { sign } from 'node:crypto';
import { execFile } from 'node:child_process';
import { ROOT } from '../core/platform/root.ts';

let sys: System;
let eventId: string;
const winners: { email: string; receipt: string; ticket: number }[] = [];
/** A SOLD_OUT's body, as a loser would save it: its details.statement is the event's sold-out statement. */
let soldOutAnswer: string;
const admin = () => ({ adminKey: sys.config.adminKey });

// One event, decided and closed: 3 units, 5 applicants; its log is what every test reads.
test.before(async () => {
  sys = await startSystem();
  eventId = await newEvent(sys, 3);
  for (let i = 0; i < 5; i++) {
    const email = randomEmail('log');
    const r = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });
    if (r.status === 202) winners.push({ email, receipt: r.body.receipt, ticket: r.body.ticket });
  }
  // Every SOLD_OUT carries the statement, the gate's first ones included.
  const late = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail('log')) });
  if (!late.body?.error?.details?.statement)
    throw new Error(`a SOLD_OUT without its statement: ${late.status} ${JSON.stringify(late.body)}`);
  soldOutAnswer = JSON.stringify(late.body);
  await http(sys.url, 'POST', `/api/admin/events/${eventId}/close`, admin());
  // stock (create), open, three winners, close
  await until(
    'the log holds the event',
    async () => {
      const { body } = await http(sys.url, 'GET', `/api/events/${eventId}/log/entries`);
      return body?.size === 6 ? true : undefined;
    },
    30_000,
    200,
  );
});
test.after.always(async () => {
  await sys?.stop();
});

const source = () => httpSource(sys.url);
const keysOf = async () => (await source().jwks()).keys.map((k) => ({ raw: Buffer.from(k.x!, 'base64url') }));

test("every winner's receipt verifies: signature, the log's checkpoint, every entry, its inclusion proof", async (t) => {
  t.is(winners.length, 3);
  for (const w of winners) {
    const { findings } = await verify(source(), { receipt: w.receipt, person: w.email });
    t.true(
      findings.every((f) => f.holds),
      findings.map((f) => `${f.holds ? '✓' : '✗'} ${f.says}`).join('\n'),
    );
    t.true(findings.some((f) => /the server's own inclusion proof holds too/.test(f.says)));
    t.true(findings.some((f) => /3 winners for a stock of 3: sold out/.test(f.says)));
  }
  const log = (await http(sys.url, 'GET', `/api/events/${eventId}/log/entries`)).body.entries.map((e: string) => JSON.parse(e).kind);
  t.deepEqual(log, ['stock', 'open', 'won', 'won', 'won', 'close']);
});

test('the terning command says it in plain words, from the server and from an export, and exits 1 when something does not hold', async (t) => {
  const run = async (...args: string[]) => {
    const p = spawnTerning(args, envFor(sys.config, { TERNING_URL: sys.url }));
    const { code } = await p.exited;
    return { code, out: p.output.join('\n') };
  };
  const ok = await run('verify', winners[0]!.receipt, '--email', winners[0]!.email);
  t.is(ok.code, 0, ok.out);
  t.regex(ok.out, /✓ the receipt is signed by a published key/);
  t.regex(ok.out, /✓ the log holds the receipt's entry: ticket 1/);
  t.regex(ok.out, /everything checked holds/);
  const dir = mkdtempSync(join(tmpdir(), 'terning-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const exported = await run('log', 'export', '--event', eventId, '--out', dir);
  t.is(exported.code, 0, exported.out);
  t.regex(exported.out, /wrote 6 entries and 3 inclusion proofs/);
  const offline = await run('verify', winners[1]!.receipt, '--log', dir, '--url', 'http://127.0.0.1:9');
  t.is(offline.code, 0, offline.out);
  t.regex(offline.out, /✓ the entries hash to the checkpoint's root/);
  t.is(JSON.parse(readFileSync(join(dir, 'proofs', '2.json'), 'utf8')).ticket, 2);
  // The same files served as they are, as a CDN would: checked from their address, its proofs too.
  const cdn = createServer((req, res) => {
    try {
      res.end(readFileSync(join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname).replace(/^\/spring\//, ''))));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
  t.teardown(() => cdn.close());
  const served = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}/spring/`;
  const online = await run('verify', winners[1]!.receipt, '--log', served, '--url', 'http://127.0.0.1:9');
  t.is(online.code, 0, online.out);
  t.regex(online.out, /✓ the entries hash to the checkpoint's root/);
  t.regex(online.out, /✓ the server's own inclusion proof holds too/);
  const gone = await run('verify', winners[1]!.receipt, '--log', `${served}missing/`);
  t.is(gone.code, 4, gone.out);
  const notTheirs = await run('verify', winners[0]!.receipt, '--email', winners[1]!.email);
  t.is(notTheirs.code, 1, notTheirs.out);
  t.regex(notTheirs.out, /✗ .*commitment is not to/);
  const usage = await run('verify');
  t.is(usage.code, 2);
  const unreachable = await run('verify', '--event', eventId, '--url', 'http://127.0.0.1:9');
  t.is(unreachable.code, 4, unreachable.out);
});

test('a log entry changed in any byte fails the check, and says why', async (t) => {
  const keys = await keysOf();
  const checkpoint = await source().checkpoint(eventId);
  const entries = await source().entries(eventId);
  t.true(checkLog(eventId, undefined, { checkpoint, entries, keys }).holds);
  const why = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    for (let b = 0; b < entry.length; b++) {
      const changed = [...entries];
      changed[i] = entry.slice(0, b) + String.fromCharCode(entry.charCodeAt(b) ^ 1) + entry.slice(b + 1);
      const report = checkLog(eventId, undefined, { checkpoint, entries: changed, keys });
      t.false(report.holds, `entry ${i} byte ${b}`);
      why.add(
        report.findings
          .find((f) => !f.holds)!
          .says.replace(/\d+/g, 'N')
          .replace(/: .*/, ''),
      );
    }
  }
  t.log([...why]);
  t.false(checkLog(eventId, undefined, { checkpoint, entries: entries.slice(0, -1), keys }).holds, 'an entry removed');
  t.false(
    checkLog(eventId, undefined, { checkpoint, entries: [entries[0]!, entries[2]!, entries[1]!, ...entries.slice(3)], keys }).holds,
    'two entries swapped',
  );
});

test('a checkpoint signed by another key, or changed after signing, fails', async (t) => {
  const keys = await keysOf();
  const checkpoint = await source().checkpoint(eventId);
  const entries = await source().entries(eventId);
  const text = checkpoint.slice(0, checkpoint.indexOf('\n\n') + 1);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from((publicKey.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
  const forged = `${text}\n— terning ${Buffer.concat([keyIdOf('terning', raw), sign(null, Buffer.from(text), privateKey)]).toString('base64')}\n`;
  const other = checkLog(eventId, undefined, { checkpoint: forged, entries, keys });
  t.false(other.holds);
  t.regex(other.findings[0]!.says, /signed by another key/);
  const grown = checkpoint.replace(`\n${entries.length}\n`, `\n${entries.length + 1}\n`);
  const changed = checkLog(eventId, undefined, { checkpoint: grown, entries, keys });
  t.false(changed.holds);
  t.regex(changed.findings[0]!.says, /changed after signing/);
});

test('log routes: a consistency proof between two sizes verifies; bad input is a clear 400, unknown tickets and drafts 404', async (t) => {
  const base = `/api/events/${eventId}/log`;
  const note = await source().checkpoint(eventId);
  t.regex(note, new RegExp(`^terning/events/${eventId}\\n6\\n[A-Za-z0-9+/=]{44}\\n\\n— terning [A-Za-z0-9+/=]+\\n$`));
  const root6 = Buffer.from(note.split('\n')[2]!, 'base64');
  const entries = await source().entries(eventId);
  const report = checkLog(eventId, undefined, { checkpoint: note, entries, keys: await keysOf() });
  const c = await http(sys.url, 'GET', `${base}/consistency?from=2&to=6`);
  t.is(c.status, 200);
  t.is(
    verifyConsistency(
      2,
      6,
      c.body.proof.map((p: string) => Buffer.from(p, 'base64')),
      report.tree!.root(2),
      root6,
    ),
    undefined,
  );
  for (const [path, code] of [
    ['/proof?ticket=abc', 'VALIDATION_FAILED'],
    ['/proof?ticket=0', 'VALIDATION_FAILED'],
    ['/proof', 'VALIDATION_FAILED'],
    ['/proof?ticket=99', 'NOT_IN_LOG'],
    ['/consistency?from=0', 'VALIDATION_FAILED'],
    ['/consistency?from=3&to=2', 'VALIDATION_FAILED'],
    ['/consistency?from=2&to=99', 'VALIDATION_FAILED'],
    ['/entries?start=-1', 'VALIDATION_FAILED'],
    ['/entries?start=1e3', 'VALIDATION_FAILED'],
  ] as const) {
    const r = await http(sys.url, 'GET', `${base}${path}`);
    t.is(r.body?.error?.code, code, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
    t.is(r.status, code === 'NOT_IN_LOG' ? 404 : 400, path);
  }
  const page = await http(sys.url, 'GET', `${base}/entries?start=4&end=5`);
  t.deepEqual(page.body, { start: 4, size: 6, entries: [entries[4]] });
  const draft = await newEvent(sys, 1, false);
  t.is((await http(sys.url, 'GET', `/api/events/${draft}/log/checkpoint`)).status, 404);
  t.is((await http(sys.url, 'GET', '/api/events/no-such-event/log/checkpoint')).status, 404);
  const proof = await http(sys.url, 'GET', `${base}/proof?ticket=3`);
  t.like(proof.body, { ticket: 3, index: 4, size: 6, leaf: entries[4], checkpoint: note });
});

/** docs/verify-receipt.mjs run on its own: its exit code and what it printed. */
const script = (...args: string[]) =>
  new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile(process.execPath, [join(ROOT, 'docs', 'verify-receipt.mjs'), ...args], (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout }),
    );
  });

test('docs/verify-receipt.mjs, with node:crypto alone, checks a receipt against the server and against an export', async (t) => {
  const w = winners[2]!;
  const ok = await script(w.receipt, sys.url, w.email);
  t.is(ok.code, 0, ok.out);
  t.regex(
    ok.out,
    /✓ the inclusion proof leads to the root of checkpoint terning\/events\/ev-.* \(6 entries\), signed by a published key\n✓ the log's first 6 entries hash to that root, the receipt's at index 4\nthe receipt holds/,
  );
  const dir = mkdtempSync(join(tmpdir(), 'terning-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const p = spawnTerning(['log', 'export', '--event', eventId, '--out', dir], envFor(sys.config, { TERNING_URL: sys.url }));
  t.is((await p.exited).code, 0);
  t.is((await script(w.receipt, dir)).code, 0);
  // Every character changed, each to the next one of base64url's alphabet (a dot to a letter): against
  // the export, 8 at a time.
  const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const flip = (s: string, i: number) => s.slice(0, i) + B64URL[(B64URL.indexOf(s[i]!) + 1) % 64] + s.slice(i + 1);
  const why = new Set<string>();
  const positions = [...w.receipt].map((_, i) => i);
  while (positions.length) {
    await Promise.all(
      positions.splice(0, 8).map(async (i) => {
        const bad = await script(flip(w.receipt, i), dir);
        t.is(bad.code, 1, `byte ${i}: ${bad.out}`);
        t.regex(bad.out, /^✗ the receipt/, `byte ${i}`);
        t.notRegex(bad.out, /^✓/m, `byte ${i}`);
        why.add(bad.out.trim().replace(/key \S+/, 'key K'));
      }),
    );
  }
  t.log([...why]);
  const other = await script(w.receipt, sys.url, winners[0]!.email);
  t.is(other.code, 1);
  t.regex(other.out, /✗ the commitment does not open to/);
});

test('a checkpoint kept from before: the log must extend it, or verify says it was cut back or rewritten', async (t) => {
  const keys = loadProofKeys(sys.config.proof);
  const entries = await source().entries(eventId);
  const tree = checkLog(eventId, undefined, { checkpoint: await source().checkpoint(eventId), entries, keys: await keysOf() }).tree!;
  const kept = (size: number, root: Buffer) => signNote(checkpointText(originOf('terning', eventId), size, root), 'terning', keys);
  const says = async (since: string) => (await verify(source(), { eventId, since })).findings.at(-1)!;
  t.like(await says(kept(4, tree.root(4))), {
    holds: true,
    says: 'the log extends the kept checkpoint (4 entries, now 6): nothing before it changed',
  });
  t.like(await says(kept(4, tree.root(3))), {
    holds: false,
    says: "the log's first 4 entries are not those of the kept checkpoint: the log was rewritten",
  });
  t.like(await says(kept(7, tree.root(6))), { holds: false });
  t.regex((await says(kept(7, tree.root(6)))).says, /was cut back/);
  const other = parseProofKeys(newKeysFile(), 'other');
  const forged = signNote(checkpointText(originOf('terning', eventId), 4, tree.root(4)), 'terning', other);
  t.regex((await says(forged)).says, /kept checkpoint's signature does not hold/);
});

test("docs/verify-receipt.mjs fails on an export changed after it was written, or a checkpoint not the log's, and says why", async (t) => {
  const w = winners[1]!;
  const dir = mkdtempSync(join(tmpdir(), 'terning-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const p = spawnTerning(['log', 'export', '--event', eventId, '--out', dir], envFor(sys.config, { TERNING_URL: sys.url }));
  t.is((await p.exited).code, 0);
  const files = ['entries.json', join('proofs', `${w.ticket}.json`), 'checkpoint'];
  const kept = Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  const proof = JSON.parse(kept[files[1]!]!);
  const text = proof.checkpoint.slice(0, proof.checkpoint.indexOf('\n\n') + 1);
  const withCheckpoint = (note: string) => ({ [files[1]!]: JSON.stringify({ ...proof, checkpoint: note }), checkpoint: note });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from((publicKey.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
  const foreign = `${text}\n— terning ${Buffer.concat([keyIdOf('terning', raw), sign(null, Buffer.from(text), privateKey)]).toString('base64')}\n`;
  const otherEvent = signNote(text.replace(`/events/${eventId}\n`, '/events/ev-other\n'), 'terning', loadProofKeys(sys.config.proof));
  const entries = JSON.parse(kept['entries.json']!);
  const changedEntry = (i: number) =>
    JSON.stringify({ ...entries, entries: entries.entries.map((e: string, j: number) => (j === i ? e.replace(/"at":\d/, '"at":9') : e)) });
  const cases: [string, Record<string, string>, RegExp][] = [
    ["the receipt's entry in entries.json", { 'entries.json': changedEntry(proof.index) }, /^✗ the log's entries/m],
    ['another entry in entries.json', { 'entries.json': changedEntry(0) }, /^✗ the log's entries do not hash to the checkpoint's root/m],
    [
      'the leaf in its proof file',
      { [files[1]!]: JSON.stringify({ ...proof, leaf: proof.leaf.replace('"at":', '"at":1') }) },
      /^✗ the log's entry for ticket/m,
    ],
    [
      'a hash in its proof file',
      { [files[1]!]: JSON.stringify({ ...proof, proof: [Buffer.alloc(32).toString('base64'), ...proof.proof.slice(1)] }) },
      /^✗ the inclusion proof does not lead to the checkpoint's root/m,
    ],
    ['the checkpoint signed by another key', withCheckpoint(foreign), /^✗ the checkpoint is not signed by a published key/m],
    [
      "another event's checkpoint, signed by the log's key",
      withCheckpoint(otherEvent),
      /^✗ the checkpoint is of terning\/events\/ev-other, not of the receipt's event/m,
    ],
  ];
  for (const [what, changed, why] of cases) {
    for (const f of files) writeFileSync(join(dir, f), changed[f] ?? kept[f]!);
    const bad = await script(w.receipt, dir);
    t.is(bad.code, 1, `${what}: ${bad.out}`);
    t.regex(bad.out, why, what);
    t.notRegex(bad.out, /the receipt holds/, what);
  }
  for (const f of files) writeFileSync(join(dir, f), kept[f]!);
  t.is((await script(w.receipt, dir)).code, 0, 'the export as written');
});

test("a loser checks the SOLD_OUT's statement with the terning command: signed, and borne out by the log", async (t) => {
  const run = async (...args: string[]) => {
    const p = spawnTerning(args, envFor(sys.config, { TERNING_URL: sys.url }));
    const { code } = await p.exited;
    return { code, out: p.output.join('\n') };
  };
  const dir = mkdtempSync(join(tmpdir(), 'terning-sold-out-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'answer.json'), soldOutAnswer);
  const ok = await run('verify', join(dir, 'answer.json'));
  t.is(ok.code, 0, ok.out);
  t.regex(
    ok.out,
    new RegExp(
      `✓ the sold-out statement is signed by a published key \\(kid \\S+\\): event ${eventId} sold its 3 units, the last to ticket 3`,
    ),
  );
  t.regex(ok.out, /✓ its 3 units are the stock the log set then/);
  t.regex(ok.out, /✓ tickets 1..3 are 3 winners: exactly the 3 units, filled/);
  t.regex(ok.out, /everything checked holds/);
  const statement = JSON.parse(soldOutAnswer).error.details.statement as string;
  const [h, p, s] = statement.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
  const changed = await run('verify', `${h}.${Buffer.from(JSON.stringify({ ...claims, units: 4 })).toString('base64url')}.${s}`);
  t.is(changed.code, 1, changed.out);
  t.regex(changed.out, /✗ the sold-out statement's signature does not hold/);
});

/** The log's export, written by the terning command into a folder removed after the test. */
const exported = async (t: { teardown: (fn: () => void) => void; is: (a: unknown, b: unknown) => void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'terning-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const p = spawnTerning(['log', 'export', '--event', eventId, '--out', dir], envFor(sys.config, { TERNING_URL: sys.url }));
  t.is((await p.exited).code, 0);
  return dir;
};

test("docs/verify-receipt.mjs checks a SOLD_OUT's statement: its signature, its fields, and the log that bears it out", async (t) => {
  const statement = JSON.parse(soldOutAnswer).error.details.statement as string;
  const ok = await script(statement, sys.url);
  t.is(ok.code, 0, ok.out);
  t.regex(
    ok.out,
    new RegExp(
      [
        `^✓ the sold-out statement is signed by published key \\S+: event ${eventId} sold its 3 units, the last to ticket 3, at \\S+Z`,
        `✓ checkpoint terning/events/${eventId} \\(6 entries\\) is signed by a published key`,
        `✓ the log's 6 entries hash to its root: tickets 1..3, each decided once, in order`,
        `✓ its 3 units are the stock the log set then`,
        `✓ tickets 1..3 are 3 winners: exactly the 3 units, filled`,
        `the sold-out statement holds\\n$`,
      ].join('\\n'),
    ),
  );
  const dir = await exported(t);
  const offline = await script(statement, dir);
  t.is(offline.code, 0, offline.out);
  t.regex(offline.out, /the sold-out statement holds/);
  const person = await script(statement, dir, winners[0]!.email);
  t.is(person.code, 1, person.out);
  t.regex(person.out, /^✗ a sold-out statement names nobody: give PERSON with a receipt only/);
});

test('docs/verify-receipt.mjs fails a sold-out statement changed in any byte, signed by another key, or not borne out by the log', async (t) => {
  const statement = JSON.parse(soldOutAnswer).error.details.statement as string;
  const [h, p] = statement.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const dir = await exported(t);
  // Every character changed, each to the next one of base64url's alphabet (a dot to a letter), 8 at a time.
  const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const flip = (s: string, i: number) => s.slice(0, i) + B64URL[(B64URL.indexOf(s[i]!) + 1) % 64] + s.slice(i + 1);
  const why = new Set<string>();
  const positions = [...statement].map((_, i) => i);
  while (positions.length) {
    await Promise.all(
      positions.splice(0, 8).map(async (i) => {
        const bad = await script(flip(statement, i), dir);
        t.is(bad.code, 1, `byte ${i}: ${bad.out}`);
        t.regex(bad.out, /^✗ the (sold-out statement|receipt or statement)\b/, `byte ${i}`);
        t.notRegex(bad.out, /^✓/m, `byte ${i}`);
        why.add(bad.out.trim().replace(/key \S+/, 'key K'));
      }),
    );
  }
  t.log([...why]);

  // Signed by another key: under the published key's kid, or under its own.
  const { privateKey } = generateKeyPairSync('ed25519');
  const payload = Buffer.from(JSON.stringify({ ...claims, units: 4 })).toString('base64url');
  const sameKid = `${h}.${payload}.${sign(null, Buffer.from(`${h}.${payload}`), privateKey).toString('base64url')}`;
  const other = await script(sameKid, sys.url);
  t.is(other.code, 1, other.out);
  t.regex(other.out, /^✗ the sold-out statement's signature does not hold: it was changed after signing, or signed by another key\n$/);
  const foreign = await new JwsSigner(parseProofKeys(newKeysFile(), 'other')).sign('terning-sold-out+jws', claims);
  const unknown = await script(foreign, sys.url);
  t.is(unknown.code, 1, unknown.out);
  t.regex(unknown.out, /^✗ the sold-out statement names key \S+, which is not published\n$/);

  // Signed by the log's own key, but its fields are not a statement's, or the log does not bear them out.
  const signer = new JwsSigner(loadProofKeys(sys.config.proof));
  const signed = (c: object) => signer.sign('terning-sold-out+jws', c);
  const cases: [string, object, RegExp][] = [
    ['another version', { ...claims, v: 2 }, /^✗ the sold-out statement is signed, but its fields are not a statement of version 1/m],
    ['no units', { ...claims, units: 0 }, /^✗ the sold-out statement is signed, but its fields are not a statement of version 1/m],
    ['fewer units than the stock', { ...claims, units: 2 }, /^✗ it says 2 units, but the stock the log set then was 3$/m],
    ['more units than tickets', { ...claims, lastTicket: 2 }, /^✗ it says 3 units were taken by ticket 2, but only 2 tickets/m],
    ['a last ticket the log does not hold', { ...claims, units: 4, lastTicket: 4 }, /^✗ the statement's last ticket 4 is not in the log/m],
    ['another event', { ...claims, event: 'ev-other' }, /^✗ the checkpoint is of terning\/events\/ev-.*, not of the statement's event/m],
  ];
  for (const [what, c, expected] of cases) {
    const bad = await script(await signed(c), dir);
    t.is(bad.code, 1, `${what}: ${bad.out}`);
    t.regex(bad.out, expected, `${what}: ${bad.out}`);
    t.notRegex(bad.out, /holds\n$/, what);
  }

  // The export changed: its checkpoint signed by another key, an entry changed.
  const keep = (f: string) => readFileSync(join(dir, f), 'utf8');
  const [checkpoint, entries] = [keep('checkpoint'), keep('entries.json')];
  const text = checkpoint.slice(0, checkpoint.indexOf('\n\n') + 1);
  writeFileSync(join(dir, 'checkpoint'), signNote(text, 'terning', parseProofKeys(newKeysFile(), 'other')));
  t.regex((await script(statement, dir)).out, /^✗ the checkpoint is not signed by a published key/m);
  writeFileSync(join(dir, 'checkpoint'), checkpoint);
  writeFileSync(join(dir, 'entries.json'), entries.replace(/"total\\":3/, '"total\\":4'));
  t.regex((await script(statement, dir)).out, /^✗ the log's entries do not hash to the checkpoint's root/m);
  writeFileSync(join(dir, 'entries.json'), entries);
  t.is((await script(statement, dir)).code, 0, 'the export as written');

  // A log, signed by the log's key, that went on after the moment it sold: only a unit freed lets it.
  type Kind = 'stock 2' | 'stock 3' | 'won' | 'released' | 'skipped';
  const log = async (kinds: Kind[], units = 2, lastTicket = 2) => {
    const lines: string[] = [];
    let ticket = 0;
    const at = claims.at as number;
    const entry = (e: LogEntry) => lines.push(leafBytes(e).toString());
    entry({ kind: 'open', event: eventId, at: at - 10_000, opensAt: at - 10_000 });
    for (const k of kinds) {
      if (k.startsWith('stock')) entry({ kind: 'stock', event: eventId, at: at + ticket, total: Number(k.slice(6)) });
      else if (k === 'won') entry({ kind: 'won', event: eventId, ticket: ++ticket, at: at + ticket, commitment: '0'.repeat(64) });
      else if (k === 'released') entry({ kind: 'released', event: eventId, ticket: ++ticket, at: at + ticket });
      else ticket++;
    }
    const tree = new MerkleTree();
    for (const l of lines) tree.append(leafHash(Buffer.from(l)));
    writeFileSync(join(dir, 'entries.json'), JSON.stringify({ event: eventId, size: lines.length, entries: lines }));
    writeFileSync(
      join(dir, 'checkpoint'),
      signNote(checkpointText(originOf('terning', eventId), lines.length, tree.root()), 'terning', loadProofKeys(sys.config.proof)),
    );
    return script(await signed({ v: 1, event: eventId, units, lastTicket, at: at + lastTicket }), dir);
  };
  const sold = await log(['stock 2', 'won', 'won']);
  t.is(sold.code, 0, sold.out);
  const over = await log(['stock 2', 'won', 'won', 'won']);
  t.is(over.code, 1, over.out);
  t.regex(over.out, /^✗ ticket 3 was handed out after the event sold out, with no unit given back and no stock raised$/m);
  const raised = await log(['stock 2', 'won', 'won', 'stock 3', 'won']);
  t.is(raised.code, 0, raised.out);
  t.regex(raised.out, /^✓ the log goes on after ticket 2: a unit given back or the stock raised let more in$/m);
  const back = await log(['stock 2', 'won', 'released', 'won']);
  t.is(back.code, 0, back.out);
  t.regex(back.out, /^✓ tickets 1..2: 1 winners and 1 given back, which fills 2 units/m);
  t.regex(back.out, /^✓ the log goes on after ticket 2/m);
  const moreWinners = await log(['stock 2', 'won', 'won', 'won'], 2, 3);
  t.is(moreWinners.code, 1, moreWinners.out);
  t.regex(moreWinners.out, /^✗ the log holds 3 winners among tickets 1..3, more than the statement's 2 units$/m);
  const skipped = await log(['stock 2', 'won', 'skipped', 'won'], 2, 3);
  t.is(skipped.code, 1, skipped.out);
  t.regex(skipped.out, /^✗ the log's tickets are not 1..2 in order: ticket 3 where 2 belongs$/m);
});
