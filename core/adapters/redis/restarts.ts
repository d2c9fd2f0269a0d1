import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../platform/log.ts';
import { runIdSeenKey } from './keys.ts';

/**
 * Notices that Redis restarted or failed over (its run_id changed). Either may have lost the last
 * writes (appendfsync everysec, a power cut, a replica behind its primary) while keeping every key: a
 * stock then looks whole but is too high. The run_id last seen is kept in Redis itself, and swapped
 * atomically on every connect, so of all the processes that reconnect only the first to see the new
 * run_id is told (onRestart): it marks every event restoring. A Redis that lost everything lost that
 * key too: its events are restored one by one as they are met missing. The one told keeps trying
 * until onRestart succeeds (MySQL or Kafka may be down too).
 */
export class RedisRestarts {
  private looking: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly onReady = () => { this.looking = this.looking.then(() => this.look()); };

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onRestart: (runId: string) => Promise<void>,
    private readonly log: Logger,
  ) {
    redis.on('ready', this.onReady);
    if (redis.status === 'ready') this.onReady();
  }

  private async look(): Promise<void> {
    let runId: string | undefined;
    let seen: string | null;
    try {
      runId = /run_id:(\w+)/.exec(await this.redis.info('server'))?.[1];
      if (!runId) return;
      seen = (await this.redis.set(runIdSeenKey(this.prefix), runId, 'GET')) as string | null;
    } catch (e) {
      this.log.warn({ err: e }, 'could not tell whether Redis restarted');
      return;
    }
    if (seen === null || seen === runId) return;
    this.log.warn({ was: seen, now: runId }, 'Redis restarted or failed over and may have lost its last writes: every event is restored from MySQL');
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.onRestart(runId);
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
