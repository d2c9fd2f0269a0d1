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
 * A script's named results, as its header lists them under "Returns" (`   1  NEW   won now ...`):
 * the one place a code and its name are written; the wrappers decode by name.
 */
export function resultCodes(name: string): Record<string, number> {
  const returns = luaHeader(name).split(/^\s*Returns/m)[1] ?? '';
  return Object.fromEntries([...returns.matchAll(/^\s+(-?\d+)\s+([A-Z][A-Z_]+)\s/gm)].map((m) => [m[2]!, Number(m[1])]));
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
