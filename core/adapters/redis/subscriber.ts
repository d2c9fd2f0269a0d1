import type { Redis } from 'ioredis';
import type { Logger } from '../../platform/log.ts';
import { closeRedis } from './client.ts';

type Handler = (message: string) => void;

/**
 * The one subscriber connection of a process: the result streams' feed and the sold-out board share
 * it. Redis pub/sub delivers at most once, and nothing published while the connection is down is kept,
 * so whoever listens hears of every gap (`onGap`: the connection dropped) and of its end (`onResume`:
 * every channel is subscribed again, confirmed by Redis, so a read made after it misses nothing).
 */
export class Subscriber {
  private connection?: Redis;
  private readonly handlers = new Map<string, Handler>();
  private readonly gapListeners: (() => void)[] = [];
  private readonly resumeListeners: (() => void)[] = [];
  private everReady = false;

  constructor(
    private readonly redis: Redis,
    private readonly name: string,
    private readonly log: Logger,
  ) {}

  /** Resolves once Redis confirmed the subscription: from then on `handler` hears what is published. */
  async subscribe(channel: string, handler: Handler): Promise<void> {
    this.handlers.set(channel, handler);
    await this.open().subscribe(channel);
  }

  unsubscribe(channel: string): void {
    if (!this.handlers.delete(channel)) return;
    // Commands on one connection run in order: a later subscribe to this channel comes after this.
    this.connection?.unsubscribe(channel).catch(() => {});
  }

  onGap(listener: () => void): void {
    this.gapListeners.push(listener);
  }

  onResume(listener: () => void): void {
    this.resumeListeners.push(listener);
  }

  private open(): Redis {
    if (this.connection) return this.connection;
    const sub = this.redis.duplicate({ connectionName: this.name });
    sub.on('message', (channel: string, message: string) => this.handlers.get(channel)?.(message));
    sub.on('close', () => {
      if (this.everReady) for (const l of this.gapListeners) l();
    });
    sub.on('ready', () => {
      if (!this.everReady) {
        this.everReady = true;
        return;
      }
      // ioredis has sent its own SUBSCRIBE again by now; this one's answer comes after it.
      const channels = [...this.handlers.keys()];
      const confirmed = channels.length > 0 ? sub.subscribe(...channels) : Promise.resolve();
      confirmed.then(
        () => {
          for (const l of this.resumeListeners) l();
        },
        (err) => this.log.warn({ err }, 'subscriptions not renewed: waiting for the next reconnection'),
      );
    });
    sub.on('error', (err) => this.log.warn({ err }, `${this.name} connection error`));
    this.connection = sub;
    return sub;
  }

  async close(): Promise<void> {
    this.handlers.clear();
    const sub = this.connection;
    this.connection = undefined;
    this.everReady = false;
    if (sub) await closeRedis(sub);
  }
}
