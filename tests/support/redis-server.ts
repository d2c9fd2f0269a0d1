import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../infra/net.ts';
import { until } from './wait.ts';
import { testLog } from './system.ts';
import { RedisRestarts } from '../../core/adapters/redis/restarts.ts';

/** A redis-server process of a test's own (no persistence), and a client of it. */
export interface RedisNode {
  port: number;
  proc: ChildProcess;
  redis: Redis;
  stop(): void;
}

export async function startRedisNode(...args: string[]): Promise<RedisNode> {
  const port = await freePort();
  // A replica keeps the snapshot it was sent in its dir.
  const dir = mkdtempSync(join(tmpdir(), 'terning-redis-node-'));
  const proc = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--repl-diskless-sync-delay',
      '0',
      ...args,
    ],
    { stdio: 'ignore' },
  );
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  await until('redis-server up', async () => ((await redis.ping().catch(() => null)) === 'PONG' ? true : undefined));
  return {
    port,
    proc,
    redis,
    stop() {
      redis.disconnect();
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** REPLICAOF, and waits until the replica is in sync. */
export async function replicate(replica: RedisNode, primary: RedisNode): Promise<void> {
  await replica.redis.replicaof('127.0.0.1', primary.port);
  await until('the replica in sync', async () => {
    const info = await replica.redis.info('replication');
    return info.includes('master_link_status:up') && !info.includes('master_sync_in_progress:1') ? true : undefined;
  });
}

/** A primary that takes writes only while its one replica acknowledges (min-replicas-to-write 1), and that replica, in sync. */
export async function primaryWithReplica(): Promise<{ primary: RedisNode; replica: RedisNode }> {
  const primary = await startRedisNode('--min-replicas-to-write', '1', '--min-replicas-max-lag', '2');
  const replica = await startRedisNode();
  await replicate(replica, primary);
  return { primary, replica };
}

/** A process's watch for Redis restarts (core/adapters/redis/restarts.ts), counting how often it was told. */
export function countedRestarts(redis: Redis, prefix: string): { restarts: RedisRestarts; told: () => number } {
  let told = 0;
  const restarts = new RedisRestarts(
    redis,
    prefix,
    async () => {
      told++;
    },
    testLog(),
  );
  return { restarts, told: () => told };
}
