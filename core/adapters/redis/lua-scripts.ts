import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { fromRoot } from '../../platform/root.ts';

const VERSION = 'v2';
const INCLUDE = /^--! include (\S+\.lua)$/gm;

type Call = (...args: (string | number)[]) => Promise<unknown>;

/**
 * A script's source with its `--! include x.lua` lines replaced by core/adapters/redis/lua/lib/x.lua,
 * declared a writer (`#!lua`, no flags): Redis then checks min-replicas-to-write before the script runs,
 * not at its first write, so a primary its replicas stopped acknowledging (about to be deposed) runs none
 * of them, even a call that would only read: a SOLD_OUT or a standing from its stale state is refused
 * (NOREPLICAS, an outage: 503) like a win would be. tests/redis-deposed.test.ts.
 */
export function luaSource(name: string): string {
  const source = readFileSync(fromRoot('core/adapters/redis/lua', `${name}.lua`), 'utf8');
  return '#!lua\n' + source.replace(INCLUDE, (_, lib: string) => readFileSync(fromRoot('core/adapters/redis/lua/lib', lib), 'utf8'));
}

/** A script's header: the comment block `--[[ ... ]]` it opens with, where its contract is written. */
export function luaHeader(name: string): string {
  const source = readFileSync(fromRoot('core/adapters/redis/lua', `${name}.lua`), 'utf8');
  const m = /^--\[\[([\s\S]*?)\]\]/.exec(source);
  if (!m) throw new Error(`${name}.lua has no contract header`);
  return m[1]!;
}

/**
 * How many keys a script takes: the `KEYS[i]` its header lists, written there once (a wrapper that
 * disagreed with its script would shift every key into ARGV). tests/lua-contracts.test.ts holds each
 * body to its header.
 */
export function keyCount(name: string): number {
  return [...luaHeader(name).matchAll(/^\s*KEYS\[(\d+)\]/gm)].length;
}

/**
 * A script's named results, as its header lists them under "Returns" (`   1  NEW   won now ...`, or
 * `  "W"  WON   ...` for a string): the one place a result and its name are written.
 */
export function resultCodes(name: string): Record<string, number | string> {
  const returns = luaHeader(name).split(/^\s*Returns/m)[1] ?? '';
  return Object.fromEntries(
    [...returns.matchAll(/^\s+(-?\d+|"[^"]*")\s+([A-Z][A-Z_]+)\s/gm)].map((m) => [
      m[2]!,
      m[1]!.startsWith('"') ? m[1]!.slice(1, -1) : Number(m[1]),
    ]),
  );
}

/**
 * The names each script's results are decoded by: every script, its header's names exactly
 * (tests/lua-contracts.test.ts holds the two together).
 */
export const RESULT_NAMES = {
  apply: ['NEW', 'RESEND', 'DECIDED', 'NO_EVENT', 'NOT_OPEN', 'SOLD_OUT', 'RESTORING', 'DRAFT'],
  confirm: ['CONFIRMED', 'NOT_HELD'],
  revoke: ['REVOKED', 'NOT_HELD'],
  release: ['RELEASED', 'NOT_REVOKED'],
  settle: ['UNSETTLED', 'SETTLED', 'PERSIST', 'VOID'],
  'set-stock': ['SET', 'BELOW_WINNERS', 'MISSING'],
  status: ['WON', 'UNCONFIRMED', 'NONE', 'UNSURE'],
  'open-challenge': ['OPENED', 'COOLDOWN', 'PERSON_SPENT', 'NETWORK_SPENT', 'ALL_SPENT'],
  'check-challenge': ['ACCEPTED', 'WRONG', 'MISSING'],
  'put-event': ['MISSING', 'RESTORING'],
  'begin-restore': ['BEGUN', 'IN_FORCE', 'WHOLE', 'DROPPED'],
  'restore-winners': ['WRONG_MARKER'],
  'finish-restore': ['FINISHED', 'WRONG_MARKER', 'INCOMPLETE'],
  'owned-key': ['OWNED', 'NOT_OWNED'],
} as const;
type Named = keyof typeof RESULT_NAMES;
/** status.lua answers a state letter; every other script a number. */
type ResultValue<S extends Named> = S extends 'status' ? string : number;

/** A script's results by name, read from its header once, when the wrapper's module loads; a name the header lacks fails there. */
export function results<S extends Named>(name: S): Record<(typeof RESULT_NAMES)[S][number], ResultValue<S>> {
  const codes = resultCodes(name);
  const lacking = RESULT_NAMES[name].filter((n) => !(n in codes));
  if (lacking.length) throw new Error(`${name}.lua's header names no result ${lacking.join(', ')}`);
  return codes as Record<(typeof RESULT_NAMES)[S][number], ResultValue<S>>;
}

/**
 * Loads each script once under a versioned command name (ioredis sends EVALSHA, and the source only
 * when Redis doesn't have it yet), with the key count its header gives; returns the one way to call them.
 */
export function defineScripts<N extends string>(
  redis: Redis,
  scripts: readonly N[],
): (name: N, ...args: (string | number)[]) => Promise<unknown> {
  const commandName = (name: N) => `terning_${VERSION}_${name.replaceAll('-', '_')}`;
  for (const name of scripts) {
    redis.defineCommand(commandName(name), { numberOfKeys: keyCount(name), lua: luaSource(name) });
  }
  return (name, ...args) => (redis as unknown as Record<string, Call>)[commandName(name)].apply(redis, args);
}
