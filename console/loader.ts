import { Kafka, logLevel } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import '../core/adapters/kafka/quiet-warnings.ts';
import type { EventSnapshot } from '../core/domain/event.ts';
import { createSequelize } from '../core/adapters/mysql/sequelize.ts';
import { createRedis, type RedisTarget } from '../core/adapters/redis/client.ts';
import { OutboxRepo } from '../core/adapters/mysql/outbox-repo.ts';
import { ReplayLog } from '../core/adapters/mysql/replay-log.ts';
import { TopicOffsets } from '../core/adapters/kafka/offsets.ts';
import { adminCall, AdminCallError, adminEventPath, type AdminTarget } from '../core/adapters/admin-api/client.ts';
import { emptyConsole, pushRate, clock, type ConsoleData, type KafkaReading, type Reading } from './model.ts';

export interface WatchSettings extends RedisTarget {
  target: AdminTarget;
  /** --event, or null for the server's default event. */
  eventId: string | null;
  defaultEventId: string;
  mysqlUrl: string;
  kafka: { brokers: string[]; applicationsTopic: string; deadLetterTopic: string; groupId: string };
  intervalMs?: number;
  timeoutMs?: number;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
/** A pause that never keeps the process alive on its own (a quit console must exit at once). */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * All of `terning watch`'s I/O: the admin API for the event, and Redis, MySQL and Kafka directly for
 * health, lag, dead letters and the outbox. Each source is read about every second on its own, with
 * a timeout, so one that is down shows as down while the others stay live.
 */
export class ConsoleLoader {
  private data: ConsoleData;
  private readonly listeners = new Set<(d: ConsoleData) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private previous: { id: string; applied: number; decided: number; at: number } | null = null;
  private readonly redis: Redis;
  private redisError = 'not connected yet';
  private readonly sequelize: Sequelize;
  private readonly outbox: OutboxRepo;
  private readonly replays: ReplayLog;
  private readonly kafka: Kafka;
  private readonly offsets: TopicOffsets;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly interval: number;
  private readonly timeout: number;

  constructor(private readonly s: WatchSettings) {
    this.data = emptyConsole(s.eventId);
    this.interval = s.intervalMs ?? 1_000;
    this.timeout = s.timeoutMs ?? 3_000;
    this.redis = createRedis(s, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      retryStrategy: () => 1_000,
    });
    this.redis.on('error', (e) => {
      this.redisError = message(e);
    });
    this.sequelize = createSequelize(s.mysqlUrl, { pool: 1 });
    this.outbox = new OutboxRepo(this.sequelize);
    this.replays = new ReplayLog(this.sequelize);
    this.kafka = new Kafka({
      clientId: 'terning-watch',
      brokers: s.kafka.brokers,
      connectionTimeout: 1_000,
      requestTimeout: this.timeout,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    this.offsets = new TopicOffsets(this.kafka, s.kafka.applicationsTopic, s.kafka.groupId);
  }

  current(): ConsoleData {
    return this.data;
  }

  subscribe(listener: (d: ConsoleData) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.redis.connect().catch(() => {});
    this.every(() => this.readEvent());
    this.every(() => this.readRedis());
    this.every(() => this.readMysql());
    this.every(() => this.readKafka());
    this.every(async () => this.update({ now: Date.now() }));
  }

  /** Every source read once (for `terning watch --json`): what the console would show now. */
  async readOnce(): Promise<ConsoleData> {
    await this.withTimeout(this.redis.connect()).catch(() => {});
    await this.readEvent();
    await Promise.all([this.readRedis(), this.readMysql(), this.readKafka()]);
    return { ...this.data, now: Date.now() };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.redis.disconnect();
    // Closing waits for reads in flight; a quit doesn't wait longer than a second for them.
    await Promise.race([Promise.allSettled([this.offsets.close(), this.sequelize.close()]), sleep(1_000)]);
  }

  open(): Promise<void> {
    return this.change('open');
  }

  close(): Promise<void> {
    return this.change('close');
  }

  private path(rest = ''): string {
    return adminEventPath(this.s.eventId, rest);
  }

  private async change(verb: 'open' | 'close'): Promise<void> {
    try {
      const e = await adminCall<EventSnapshot>(this.s.target, 'POST', this.path(`/${verb}`), undefined, this.timeout * 2);
      this.update({
        event: { value: e, at: Date.now(), error: null },
        notice: { ok: true, text: `${verb === 'open' ? 'opened' : 'closed'} ${e.id} at ${clock(Date.now())} as ${this.s.target.actor}` },
      });
    } catch (err) {
      this.update({ notice: { ok: false, text: `could not ${verb}: ${this.explain(err)}` } });
    }
  }

  /** Runs a reading about every interval; one that hangs is reported after the timeout. */
  private every(read: () => Promise<void>): void {
    const tick = async () => {
      if (this.stopped) return;
      const started = Date.now();
      await Promise.race([read(), sleep(this.timeout)]);
      if (this.stopped) return;
      const t = setTimeout(
        () => {
          this.timers.delete(t);
          void tick();
        },
        Math.max(0, this.interval - (Date.now() - started)),
      );
      this.timers.add(t);
    };
    void tick();
  }

  /**
   * Reads one source: a good answer replaces the value; a failure keeps the last value and says why.
   * A read that outlives its timeout is waited for again, never doubled: two reads at once would
   * share (and one could close) the same connection.
   */
  private async read<K extends 'kafka' | 'mysql' | 'redis'>(
    key: K,
    get: () => Promise<NonNullable<ConsoleData[K]['value']>>,
  ): Promise<void> {
    let pending = this.inflight.get(key) as Promise<NonNullable<ConsoleData[K]['value']>> | undefined;
    if (!pending) {
      pending = get().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    try {
      const value = await this.withTimeout(pending);
      this.update({ [key]: { value, at: Date.now(), error: null } as Reading<unknown> } as Partial<ConsoleData>);
    } catch (e) {
      this.update({ [key]: { ...this.data[key], error: message(e) } } as Partial<ConsoleData>);
    }
  }

  private async readEvent(): Promise<void> {
    const started = performance.now();
    const now = Date.now();
    try {
      const e = await adminCall<EventSnapshot>(this.s.target, 'GET', this.path(), undefined, this.timeout);
      const api = { value: { latencyMs: Math.round(performance.now() - started) }, at: now, error: null };
      this.update({ api, event: { value: e, at: now, error: null }, rates: this.nextRates(e, now) });
    } catch (err) {
      const refused = err instanceof AdminCallError && err.kind === 'refused';
      const api = refused
        ? { value: { latencyMs: Math.round(performance.now() - started) }, at: now, error: null }
        : { ...this.data.api, error: this.explain(err) };
      this.update({ api, event: { ...this.data.event, error: refused ? message(err) : 'the API does not answer' } });
    }
  }

  /** The admin API's failures, short enough for one line of the console. */
  private explain(err: unknown): string {
    if (err instanceof AdminCallError && err.kind === 'unreachable') return `${this.s.target.url} does not answer`;
    return message(err);
  }

  private nextRates(e: EventSnapshot, at: number): ConsoleData['rates'] {
    const decided = e.won;
    const prev = this.previous;
    this.previous = { id: e.id, applied: e.applied, decided, at };
    if (!prev || prev.id !== e.id) return { applications: [], decisions: [] };
    const seconds = (at - prev.at) / 1000;
    return {
      applications: pushRate(this.data.rates.applications, prev.applied, e.applied, seconds),
      decisions: pushRate(this.data.rates.decisions, prev.decided, decided, seconds),
    };
  }

  private readRedis(): Promise<void> {
    return this.read('redis', async () => {
      if (this.redis.status !== 'ready') throw new Error(this.redisError);
      const started = performance.now();
      await this.redis.ping();
      return { pingMs: Math.round(performance.now() - started) };
    });
  }

  private readMysql(): Promise<void> {
    const eventId = this.data.event.value?.id ?? this.s.eventId ?? this.s.defaultEventId;
    return this.read('mysql', async () => ({
      outbox: await this.outbox.counts(eventId),
      replayedDeadLetters: await this.replays.count(this.s.kafka.deadLetterTopic),
    }));
  }

  private readKafka(): Promise<void> {
    return this.read('kafka', async (): Promise<KafkaReading> => {
      try {
        // One after the other: kafkajs's admin refreshes its metadata per call, and concurrent refreshes
        // collide (as does a group's offsets asked for first).
        const deadLetters = await this.offsets.records(this.s.kafka.deadLetterTopic);
        const lag = (await this.offsets.progress()).map((p) => ({ partition: p.partition, lag: p.lag }));
        return { lag, deadLetters };
      } catch (e) {
        // A broker that went away: connect afresh next time.
        await this.offsets.close();
        throw e;
      }
    });
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${this.timeout} ms`)), this.timeout).unref();
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private update(patch: Partial<ConsoleData>): void {
    if (this.stopped) return;
    this.data = { ...this.data, ...patch };
    for (const l of this.listeners) l(this.data);
  }
}
