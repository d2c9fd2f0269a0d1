import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { fromRoot } from '../../platform/root.ts';

const VERSION = 'v2';
const INCLUDE = /^--! include (\S+\.lua)$/gm;

type Call = (...args: (string | number)[]) => Promise<unknown>;

/** A script's source with its `--! include x.lua` lines replaced by core/adapters/redis/lua/lib/x.lua. */
export function luaSource(name: string): string {
  const source = readFileSync(fromRoot('core/adapters/redis/lua', `${name}.lua`), 'utf8');
  return source.replace(INCLUDE, (_, lib: string) => readFileSync(fromRoot('core/adapters/redis/lua/lib', lib), 'utf8'));
}

/**
 * Loads each script once under a versioned command name (ioredis sends EVALSHA, and the source only
 * when Redis doesn't have it yet); returns the one way to call them.
 */
export function defineScripts<N extends string>(redis: Redis, scripts: Record<N, number>): (name: N, ...args: (string | number)[]) => Promise<unknown> {
  const commandName = (name: N) => `terning_${VERSION}_${name.replaceAll('-', '_')}`;
  for (const [name, numberOfKeys] of Object.entries(scripts) as [N, number][]) {
    redis.defineCommand(commandName(name), { numberOfKeys, lua: luaSource(name) });
  }
  return (name, ...args) => ((redis as unknown as Record<string, Call>)[commandName(name)]).apply(redis, args);
}
