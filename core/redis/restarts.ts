import type { Redis } from 'ioredis';

/**
 * Notices that Redis restarted (its run_id changed across a reconnect). A restart may have lost the last
 * second of writes (appendfsync everysec, a power cut, a failover to a replica) while keeping every key:
 * the remaining stock is then there but too high, and only a recount from MySQL can tell. After a
 * restart each event is reported once as needing that recount.
 */
export class RedisRestarts {
  private runId?: string;
  private since?: string;
  private readonly verified = new Set<string>();

  constructor(private readonly redis: Redis) {
    redis.on('ready', () => void this.look());
    if (redis.status === 'ready') void this.look();
  }

  private async look(): Promise<void> {
    const info = await this.redis.info('server').catch(() => '');
    const runId = /run_id:(\w+)/.exec(info)?.[1];
    if (!runId) return;
    if (this.runId !== undefined && runId !== this.runId) {
      this.since = runId;
      this.verified.clear();
    }
    this.runId = runId;
  }

  /** True when Redis restarted since this process first saw it and the event wasn't recounted since. */
  needsRecount(eventId: string): boolean {
    return this.since !== undefined && !this.verified.has(eventId);
  }

  recounted(eventId: string): void {
    this.verified.add(eventId);
  }
}
