import test from 'ava';
import { readdirSync } from 'node:fs';
import { fromRoot } from '../core/platform/root.ts';
import { RESULT_NAMES, keyCount, luaHeader, luaSource, resultCodes, results } from '../core/adapters/redis/lua-scripts.ts';

/**
 * Each Lua script's contract is written once, in its header: the keys it takes (the wrappers load it
 * with that count), the arguments, and its named results. These hold every body to its header, so the
 * two can't disagree: a key used but not listed (the wrapper would pass it as ARGV), a key listed but
 * never used, an argument used but not described.
 */

const scripts = readdirSync(fromRoot('core/adapters/redis/lua'))
  .filter((f) => f.endsWith('.lua'))
  .map((f) => f.replace(/\.lua$/, ''));
const body = (name: string) => luaSource(name).replace(/^#!lua\n--\[\[[\s\S]*?\]\]/, '');
const used = (text: string, what: 'KEYS' | 'ARGV') =>
  new Set([...text.matchAll(new RegExp(`${what}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])));

test('every script has a contract header', (t) => {
  t.true(scripts.length >= 10);
  for (const name of scripts) t.notThrows(() => luaHeader(name), name);
});

for (const name of scripts) {
  test(`${name}.lua uses exactly the keys its header lists, KEYS[1..n]`, (t) => {
    const n = keyCount(name);
    const listed = [...used(luaHeader(name), 'KEYS')].sort((a, b) => a - b);
    t.deepEqual(
      listed,
      Array.from({ length: n }, (_, i) => i + 1),
      'listed once each, from 1 without a gap',
    );
    t.deepEqual(
      [...used(body(name), 'KEYS')].sort((a, b) => a - b),
      listed,
      'the body uses each listed key and no other',
    );
  });

  test(`${name}.lua uses only the arguments its header describes`, (t) => {
    const header = luaHeader(name);
    // `ARGV[4..]` describes a list from 4 on; `ARGV[1], ARGV[2], ...` pairs or lists from 1.
    const from = /ARGV\[(\d+)\.\.\]/.exec(header)?.[1] ?? (/ARGV\[\d+\], ARGV\[\d+\], \.\.\./.test(header) ? '1' : undefined);
    const described = used(header, 'ARGV');
    const undescribed = [...used(body(name), 'ARGV')].filter((i) => !described.has(i) && !(from !== undefined && i >= Number(from)));
    t.deepEqual(
      undescribed.map((i) => `ARGV[${i}]`),
      [],
    );
  });
}

test('every script names its results in its header, and those names are exactly the ones its wrapper decodes', (t) => {
  const named: Record<string, readonly string[]> = RESULT_NAMES;
  t.deepEqual(Object.keys(named).sort(), [...scripts].sort(), 'every script, and no other, has its names in RESULT_NAMES');
  for (const name of scripts) {
    const codes = resultCodes(name);
    t.deepEqual(Object.keys(codes).sort(), [...(named[name] ?? [])].sort(), `${name}.lua: its header's names, and its wrapper's`);
    t.notThrows(() => results(name as keyof typeof RESULT_NAMES), name);
  }
});

test("apply.lua's named results are the numbers its body returns (bare: it is the hot path)", (t) => {
  t.deepEqual(resultCodes('apply'), { NEW: 1, RESEND: 2, DECIDED: 3, NO_EVENT: -1, NOT_OPEN: -2, SOLD_OUT: -3, RESTORING: -4, DRAFT: -5 });
});

test("the sign-in scripts' named results are the codes their wrapper decodes, and the names their bodies return", (t) => {
  t.deepEqual(resultCodes('open-challenge'), { OPENED: 0, COOLDOWN: 1, PERSON_SPENT: 2, NETWORK_SPENT: 3, ALL_SPENT: 4 });
  t.deepEqual(resultCodes('check-challenge'), { ACCEPTED: 1, WRONG: 0, MISSING: -1 });
  for (const name of ['open-challenge', 'check-challenge']) {
    const codes = resultCodes(name);
    const declared = new RegExp(`^local ${Object.keys(codes).join(', ')} = ${Object.values(codes).join(', ')}$`, 'm');
    t.regex(luaSource(name), declared, `${name}.lua names its results as its header does`);
  }
});
