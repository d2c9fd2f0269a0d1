import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { listenHost } from './net.ts';
import { terningHome } from './paths.ts';
import { spawnDetached } from './process.ts';
import { redact, type Service } from './service.ts';
import { requireTools, type Tool } from './tools.ts';

const url = () => new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');

export const REDIS_SERVER: Tool = { bin: 'redis-server', pkg: 'redis-server' };

export const redis: Service = {
  name: 'redis',
  marker: 'redis-server',
  tools: [REDIS_SERVER],
  startTimeoutMs: 15_000,
  stopTimeoutMs: 10_000,
  address: () => redact(url()),
  endpoint: () => ({ host: url().hostname, port: Number(url().port || 6379) }),

  async ping() {
    // No retries and no offline queue: a status check must fail fast, not wait for a reconnect.
    const client = new Redis(url().toString(), {
      lazyConnect: true,
      connectTimeout: 1000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    // The 'error' event has the cause (ECONNREFUSED...); connect() only says "Connection is closed."
    let cause: unknown;
    client.on('error', (err) => (cause = err));
    try {
      await client.connect();
      await client.ping();
    } catch (err) {
      throw cause ?? err;
    } finally {
      client.disconnect();
    }
  },

  async start(log) {
    const { 'redis-server': bin } = await requireTools('redis', this.tools, log);
    const dir = join(terningHome(), 'redis');
    mkdirSync(dir, { recursive: true });
    const { host, port } = this.endpoint();
    const password = decodeURIComponent(url().password);
    // Append-only with a sync every second: rate-limit and stock counters survive a restart.
    await spawnDetached('redis', bin, [
      '--port', String(port),
      '--bind', listenHost(host),
      '--dir', dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--daemonize', 'no',
      ...(password ? ['--requirepass', password] : []),
    ]);
  },
};
