import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../platform/log.ts';
import { serverSeenKey } from './keys.ts';
import { serverIdentity } from './server-identity.ts';

/**
 * Notices that Redis restarted or failed over (its identity, server-identity.ts, changed). Either may
 * have lost the last writes (appendfsync everysec, a power cut, a replica behind its primary) while
 * keeping every key: a stock then looks whole but is too high. The identity last seen is kept in Redis
 * itself, and swapped atomically on every connect, so of all the processes that reconnect only the
 * first to see the new one is told (onRestart): it marks every event restoring. A Redis that lost everything lost that
 * key too: its events are restored one by one as they are met missing. The one told keeps trying
 * until onRestart succeeds (MySQL or Kafka may be down too).
 */
export class RedisRestarts {
  private looking: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly onReady = () => {
    this.looking = this.looking.then(() => this.look());
  };

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onRestart: (server: string) => Promise<void>,
    private readonly log: Logger,
  ) {
    redis.on('ready', this.onReady);
    if (redis.status === 'ready') this.onReady();
  }

  private async look(): Promise<void> {
    let server: string | undefined;
    let seen: string | null;
    // A promoted replica refuses writes (NOREPLICAS) until a replica follows it: the swap is tried
    // again while this connection lasts, or no process may ever be told of the failover.
    for (let attempt = 0; ; attempt++) {
      try {
        server = await serverIdentity(this.redis);
        if (!server) return;
        seen = (await this.redis.set(serverSeenKey(this.prefix), server, 'GET')) as string | null;
        break;
      } catch (e) {
        if (this.stopped || this.redis.status !== 'ready') return;
        if (attempt === 0) this.log.warn({ err: e }, 'could not tell whether Redis restarted; trying again');
        await sleep(Math.min(1_000, 50 * 2 ** attempt));
      }
    }
    if (seen === null || seen === server) return;
    this.log.warn(
      { was: seen, now: server },
      'Redis restarted or failed over and may have lost its last writes: every event is restored from MySQL',
    );
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.onRestart(server);
        return;
      } catch (e) {
        this.log.warn({ err: e, attempt }, 'marking the events restoring after a Redis restart failed; retrying');
        await sleep(Math.min(5_000, 200 * 2 ** attempt));
      }
    }
  }

  /** Waits for a look in flight (tests; a clean stop). */
  settled(): Promise<void> {
    return this.looking;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.redis.off('ready', this.onReady);
    await this.looking;
  }
}
