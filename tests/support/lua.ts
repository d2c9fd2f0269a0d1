import type test from 'ava';
import { Redis } from 'ioredis';
import { Scripts } from '../../core/adapters/redis/scripts.ts';
import { serverIdentity } from '../../core/adapters/redis/server-identity.ts';
import { loadConfig } from '../../core/platform/config.ts';
import { rand } from './system.ts';

/**
 * Scripts on real Redis, each call under a random key prefix of its own; every key they made is
 * deleted after the file's tests.
 */
export function luaScripts(t: typeof test, tag: string): { redis: Redis; scripts: () => Scripts; server: () => Promise<string> } {
  const redis = new Redis(loadConfig().redisUrl);
  const prefixes: string[] = [];
  t.after.always(async () => {
    for (const p of prefixes) {
      const keys = await redis.keys(`${p}:*`);
      if (keys.length) await redis.del(...keys);
    }
    redis.disconnect();
  });
  return {
    redis,
    // An event's meta names the server its state is whole on: one written by hand must too.
    server: async () => (await serverIdentity(redis))!,
    scripts: () => {
      const prefix = `test-${tag}-${rand()}`;
      prefixes.push(prefix);
      return new Scripts(redis, prefix);
    },
  };
}
