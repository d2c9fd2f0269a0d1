import type { Admin, Consumer, Producer } from 'kafkajs';
import type { Server } from 'node:http';
import type { Config } from '../core/platform/config.ts';
import { createLogger, type Logger } from '../core/platform/log.ts';
import { followRedisRestarts, openStores, storeChecks, type Stores } from '../core/stores.ts';
import { createKafka, producerConfig } from '../core/adapters/kafka/client.ts';
import { OutboxRepo } from '../core/adapters/mysql/outbox-repo.ts';
import { Mailer } from '../core/adapters/ses/mailer.ts';
import { Persister, type PersisterOptions } from './persister.ts';
import { OutboxSender } from './outbox-sender.ts';
import { announcer } from '../core/adapters/redis/decision-feed.ts';
import { Metrics } from '../core/platform/metrics.ts';
import { readiness } from '../core/platform/health.ts';
import { startOpsServer } from './ops-server.ts';
import { refreshGauges } from './gauges.ts';
import { Sweeper } from './sweeper.ts';
import { LogBuilder } from '../core/use-cases/proof/log-builder.ts';
import { ProofLogRepo } from '../core/adapters/mysql/proof-log-repo.ts';
import { loadProofKeys } from '../core/adapters/keys/proof-keys.ts';
import type { RedisRestarts } from '../core/adapters/redis/restarts.ts';
import { startOutlasting } from '../core/adapters/outage.ts';
import { watchForStalls } from './stall-watch.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ConsumerOptions extends Partial<PersisterOptions> {
  sendEmails?: boolean;
  /** Records waiting on its partitions and no batch for this long: the consumer is opened again (30 s). */
  stallMs?: number;
  /**
   * Called when the consumer could not be brought back after kafkajs gave up on it (crashes that go on
   * for START_WAIT_SECONDS); the command exits so the supervisor restarts it.
   */
  onCrash?: (error: Error) => void;
}

/** The consumer process: the persister in a consumer group, and the outbox sender beside it. */
export class ConsumerProcess {
  private stores?: Stores;
  private consumer?: Consumer;
  private dlqProducer?: Producer;
  private sender?: OutboxSender;
  private mailer?: Mailer;
  private admin?: Admin;
  private ops?: Server;
  private stopGauges?: () => Promise<void>;
  private stopStallWatch?: () => Promise<void>;
  /** This consumer's partitions of the applications topic, from its last join. */
  private assigned?: number[];
  private sweeper?: Sweeper;
  private logBuilder?: LogBuilder;
  private restarts?: RedisRestarts;
  private joined = false;
  private joinedAt?: number;
  private stopRequested = false;
  private opening?: Promise<void>;
  private reopening?: Promise<void>;
  private crashedMeanwhile?: Error;
  /** When the crashes began that have not yet been followed by a minute in the group. */
  private crashingSince?: number;
  /** How many times kafkajs gave up on the consumer and it was opened again in this process. */
  reopened = 0;
  persister?: Persister;
  opsUrl?: string;
  readonly metrics = new Metrics('terning-consumer');
  readonly log: Logger;

  constructor(
    private readonly config: Config,
    private readonly opts: ConsumerOptions = {},
    log?: Logger,
  ) {
    this.log = log ?? createLogger('terning-consumer', config.logLevel);
  }

  /**
   * Consuming when it resolves. An outage met on the way (a broker down, Redis failing over) is waited
   * out, starting again (core/adapters/outage.ts startOutlasting); when it throws, what it had opened is
   * closed again.
   */
  async start(): Promise<void> {
    this.opening = startOutlasting(
      () => this.open(),
      () => this.close(),
      { ms: this.config.startWaitMs, log: this.log, stopped: () => this.stopRequested },
    );
    await this.opening;
  }

  /**
   * kafkajs gave up on the consumer (an error it does not call retriable, met while a broker was killed,
   * or a Redis or MySQL failure in the middle of a batch), or it stopped fetching records that wait on
   * its partitions (stall-watch.ts): the process is not broken, only its consumer,
   * so everything is closed and opened again, waiting out an outage as a start does. The random fault
   * suite found consumers exiting here while a broker stayed down, each exit a crash for the supervisor.
   * A consumer that keeps crashing for START_WAIT_SECONDS (a minute in the group ends a streak) is
   * handed to onCrash: the command exits and the supervisor takes over.
   */
  private reopenAfterCrash(error: Error): void {
    if (this.stopRequested) return;
    // A crash of the consumer being opened again is taken up when that opening is done.
    if (this.reopening) {
      this.crashedMeanwhile = error;
      return;
    }
    if (this.joinedAt !== undefined && Date.now() - this.joinedAt > 60_000) this.crashingSince = undefined;
    const since = (this.crashingSince ??= Date.now());
    if (Date.now() - since > this.config.startWaitMs) {
      this.log.fatal({ err: error, crashingForMs: Date.now() - since }, 'the consumer keeps crashing: giving up');
      this.opts.onCrash?.(error);
      return;
    }
    this.log.error({ err: error }, 'kafkajs gave up on the consumer: opening it again');
    this.reopening = (async () => {
      await this.opening?.catch(() => {});
      await this.close();
      await sleep(1_000);
      if (this.stopRequested) return;
      this.reopened++;
      await this.start();
    })()
      .catch((err: Error) => {
        // Asked to stop meanwhile: the opening gave up because of it, which is no crash.
        if (this.stopRequested) return;
        this.log.fatal({ err }, 'the consumer could not be opened again');
        this.opts.onCrash?.(err);
      })
      .finally(() => {
        this.reopening = undefined;
        const again = this.crashedMeanwhile;
        this.crashedMeanwhile = undefined;
        if (again) this.reopenAfterCrash(again);
      });
  }

  private async open(): Promise<void> {
    const { config, log } = this;
    this.stores = openStores(config, log);
    // A consumer killed -9 never leaves its group: the others wait for it until its session times out,
    // so the session is the broker's shortest (group.min.session.timeout.ms, 6 s by default), with a
    // heartbeat each second, and an idle fetch returns within one so that it heartbeats too. A rebalance
    // waits for the members' rejoin and SyncGroup at most rebalanceTimeout; a request that gives up
    // before the broker answers makes the member rejoin, which starts another rebalance (a crash loop
    // once stalled the group for minutes that way): kafkajs's requestTimeout outlasts a rebalance.
    const rebalanceTimeout = 10_000;
    const kafka = createKafka({
      ...config.kafka,
      clientId: `${config.kafka.clientId}-consumer`,
      log,
      requestTimeout: rebalanceTimeout + 5_000,
    });
    this.consumer = kafka.consumer({
      groupId: config.kafka.groupId,
      sessionTimeout: 6_000,
      rebalanceTimeout,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 1_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      allowAutoTopicCreation: false,
    });
    this.dlqProducer = kafka.producer(producerConfig);
    this.admin = kafka.admin();
    await Promise.all([this.consumer.connect(), this.dlqProducer.connect(), this.admin.connect()]);
    const { metrics } = this;
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.joinedAt = Date.now();
      this.assigned = payload.memberAssignment[config.kafka.applicationsTopic] ?? [];
    });
    this.consumer.on(this.consumer.events.STOP, () => {
      this.joined = false;
      this.assigned = undefined;
    });
    this.consumer.on(this.consumer.events.CRASH, () => {
      this.joined = false;
      this.joinedAt = this.assigned = undefined;
    });
    const stores = this.stores;
    this.persister = new Persister(
      this.consumer,
      this.dlqProducer,
      this.stores.scripts,
      this.stores.records,
      {
        topic: config.kafka.applicationsTopic,
        deadLetterTopic: config.kafka.deadLetterTopic,
        chunkSize: this.opts.chunkSize ?? 2_000,
        attempts: this.opts.attempts ?? 3,
        retryBaseMs: this.opts.retryBaseMs ?? 1_000,
        announce: announcer(this.stores.redis, config.redisPrefix),
        // An event MySQL doesn't know has nothing to restore: its decisions fail on their own (dead letters).
        restorer: this.opts.restorer ?? { begin: async (eventId) => stores.events.get(eventId).then(() => stores.restorer.begin(eventId)) },
      },
      log,
      {
        persisted: (persisted, voided) => {
          metrics.persisted.inc({ result: 'persisted' }, persisted);
          if (voided) metrics.persisted.inc({ result: 'void' }, voided);
        },
        deadLettered: (n) => metrics.deadLetters.inc(n),
      },
    );
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.reopenAfterCrash(payload.error);
    });
    await this.persister.run();
    const persister = this.persister;
    this.stopStallWatch = watchForStalls({
      admin: this.admin,
      groupId: config.kafka.groupId,
      topic: config.kafka.applicationsTopic,
      log,
      assigned: () => this.assigned,
      busy: () => persister.busy > 0,
      lastProgressAt: () => Math.max(persister.lastActivityAt, this.joinedAt ?? 0),
      stallMs: this.opts.stallMs ?? 30_000,
      onStall: (detail) => this.reopenAfterCrash(new Error(`stalled: ${detail}`)),
    });
    this.restarts = followRedisRestarts(stores, config, log);
    const timeoutMs = config.reservationTimeoutSeconds * 1_000;
    this.sweeper = new Sweeper(
      stores,
      { timeoutMs, everyMs: Math.min(5_000, timeoutMs / 2), onReleased: (n) => metrics.reservationsReleased.inc(n) },
      log,
    );
    this.sweeper.start();
    // The public logs are built from what is persisted; any number of consumers may build them.
    // A backlog of winners is persisted first: the log waits while batches come (up to 5 s in a row).
    this.logBuilder = new LogBuilder(
      new ProofLogRepo(stores.sequelize),
      loadProofKeys(config.proof).nonceSecret,
      log,
      undefined,
      () => persister.busy > 0 || Date.now() - persister.lastActivityAt < 1_000,
    );
    this.logBuilder.start();
    if (this.opts.sendEmails !== false) {
      this.mailer = new Mailer(config.ses);
      this.sender = new OutboxSender(new OutboxRepo(this.stores.sequelize), this.mailer, config.ses.ratePerSecond, log, undefined, (ok) =>
        metrics.sesSends.inc({ result: ok ? 'sent' : 'failed' }),
      );
      this.sender.start();
    }
    this.stopGauges = refreshGauges({
      metrics,
      admin: this.admin,
      groupId: config.kafka.groupId,
      topic: config.kafka.applicationsTopic,
      outbox: new OutboxRepo(this.stores.sequelize),
    });
    const ops = await startOpsServer({
      host: config.host,
      port: config.metricsPort,
      registry: metrics.registry,
      readiness: () =>
        readiness({
          ...storeChecks(stores),
          kafka: async () => {
            if (!this.joined) throw new Error('the persister has not joined its consumer group');
          },
        }),
    });
    this.ops = ops.server;
    this.opsUrl = ops.url;
    log.info({ topic: config.kafka.applicationsTopic, group: config.kafka.groupId, ops: this.opsUrl }, 'consumer running');
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.opening?.catch(() => {});
    await this.reopening;
    await this.close();
  }

  private async close(): Promise<void> {
    await this.stopStallWatch?.();
    await this.stopGauges?.();
    await new Promise<void>((resolve) => (this.ops ? this.ops.close(() => resolve()) : resolve()));
    await this.sender?.stop();
    await this.sweeper?.stop();
    await this.logBuilder?.stop();
    await this.restarts?.stop();
    await this.consumer?.disconnect().catch(() => {});
    await this.dlqProducer?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
    this.mailer?.close();
    await this.stores?.close();
    // A start that failed may try again: it begins from nothing.
    this.stopStallWatch =
      this.assigned =
      this.stopGauges =
      this.ops =
      this.sender =
      this.sweeper =
      this.logBuilder =
      this.restarts =
      this.consumer =
      this.dlqProducer =
      this.admin =
      this.mailer =
      this.stores =
        undefined;
    this.log.info('consumer stopped');
  }
}
