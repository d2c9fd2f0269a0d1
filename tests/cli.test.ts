import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startSystem, newEvent, type System } from './support/system.ts';
import { terning } from './support/cli.ts';
import { UserError, EXIT } from '../cli/errors.ts';

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: false });
});
test.after.always(async () => {
  await sys?.stop();
});

const target = () => ['--url', sys.url, '--admin-key', sys.config.adminKey];

test.serial('stock set, stock show, event open and close act through the admin API', async (t) => {
  const eventId = await newEvent(sys, 0, false);
  const set = JSON.parse(await terning('stock', 'set', '12', '--event', eventId, '--json', ...target()));
  t.is(set.totalStock, 12);
  t.is(set.remainingStock, 12);
  t.regex(await terning('stock', 'show', '--event', eventId, ...target()), /12 of 12 left/);
  t.is(JSON.parse(await terning('event', 'open', '--event', eventId, '--json', ...target())).state, 'open');
  t.is(JSON.parse(await terning('event', 'close', '--event', eventId, '--json', ...target())).state, 'closed');
  const listed = JSON.parse(await terning('event', 'list', '--json', ...target()));
  t.true(listed.some((e: { id: string }) => e.id === eventId));
});

test.serial('event create makes a draft event with its stock', async (t) => {
  const id = `cli-${Date.now()}`;
  const created = JSON.parse(await terning('event', 'create', id, '--name', 'CLI gift', '--stock', '4', '--json', ...target()));
  t.like(created, { id, name: 'CLI gift', state: 'draft', totalStock: 4 });
});

test.serial('bad input: a clear error and a distinct exit code, nothing changed', async (t) => {
  const eventId = await newEvent(sys, 3, false);
  const usage = await t.throwsAsync(terning('stock', 'set', '-1', '--event', eventId, ...target()));
  t.is((usage as { exitCode?: number }).exitCode, 1, 'Commander rejects the argument');
  const words = await t.throwsAsync(terning('stock', 'set', 'ten', '--event', eventId, ...target()));
  t.regex(words!.message, /whole number/);
  const wrongKey = await t.throwsAsync(terning('stock', 'set', '5', '--event', eventId, '--url', sys.url, '--admin-key', 'nope'), {
    instanceOf: UserError,
  });
  t.is(wrongKey!.exitCode, EXIT.rejected);
  t.regex(wrongKey!.message, /ADMIN_KEY_INVALID/);
  const unknown = await t.throwsAsync(terning('stock', 'show', '--event', 'no-such-event', ...target()), { instanceOf: UserError });
  t.regex(unknown!.message, /EVENT_NOT_FOUND/);
  const away = await t.throwsAsync(terning('stock', 'show', '--url', 'http://127.0.0.1:9', '--admin-key', 'x'), { instanceOf: UserError });
  t.is(away!.exitCode, EXIT.unreachable);
  t.regex(await terning('stock', 'show', '--event', eventId, ...target()), /3 of 3 left/, 'the stock is unchanged');
});

test.serial("the terning bin runs on the machine's Node 20 by handing itself to the bundled Node 24", async (t) => {
  const bin = fileURLToPath(new URL('../bin/terning.js', import.meta.url));
  const eventId = await newEvent(sys, 2, false);
  const { stdout } = await promisify(execFile)('/usr/bin/node', [bin, 'stock', 'show', '--json', '--event', eventId, ...target()]);
  t.is(JSON.parse(stdout).totalStock, 2);
  const failed = await promisify(execFile)('/usr/bin/node', [
    bin,
    'stock',
    'show',
    '--event',
    eventId,
    '--url',
    sys.url,
    '--admin-key',
    'nope',
  ]).catch((e) => e);
  t.is(failed.code, EXIT.rejected);
  t.regex(failed.stderr, /terning: a valid X-ADMIN-KEY header is required/);
});
