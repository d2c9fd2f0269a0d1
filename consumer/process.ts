import type { Admin, Consumer, Producer } from 'kafkajs';
import type { Server } from 'node:http';
import type { Config } from '../core/config.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { createKafka, producerConfig } from '../core/kafka/client.ts';
import { OutboxRepo } from '../core/db/outbox-repo.ts';
import { Mailer } from '../core/email/mailer.ts';
import { Decider, type DeciderOptions } from './decider.ts';
import { OutboxSender } from './outbox-sender.ts';
import { announcer } from '../core/decision-feed.ts';
import { RedisRestarts } from '../core/redis/restarts.ts';
import { Metrics } from '../core/metrics.ts';
import { readiness } from '../core/health.ts';
import { startOpsServer } from './ops-server.ts';
import { refreshGauges } from './gauges.ts';

export interface ConsumerOptions extends Partial<DeciderOptions> {
  sendEmails?: boolean;
  /** Called when kafkajs gives up on the consumer; the command exits so the supervisor restarts it. */
  onCrash?: (error: Error) => void;
}

/** The consumer process: the decider in a consumer group, and the outbox sender beside it. */
export class ConsumerProcess {
  private stores?: Stores;
  private consumer?: Consumer;
  private dlqProducer?: Producer;
  private sender?: OutboxSender;
  private mailer?: Mailer;
  private admin?: Admin;
  private ops?: Server;
  private stopGauges?: () => Promise<void>;
  private joined = false;
  decider?: Decider;
  opsUrl?: string;
  readonly metrics = new Metrics('terning-consumer');
  readonly log: Logger;

  constructor(private readonly config: Config, private readonly opts: ConsumerOptions = {}, log?: Logger) {
    this.log = log ?? createLogger('terning-consumer', config.logLevel);
  }

  async start(): Promise<void> {
    const { config, log } = this;
    this.stores = openStores(config);
    const kafka = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-consumer`, log });
    this.consumer = kafka.consumer({
      groupId: config.kafka.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      allowAutoTopicCreation: false,
    });
    this.dlqProducer = kafka.producer(producerConfig);
    this.admin = kafka.admin();
    await Promise.all([this.consumer.connect(), this.dlqProducer.connect(), this.admin.connect()]);
    const { metrics } = this;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => { this.joined = true; });
    this.consumer.on(this.consumer.events.STOP, () => { this.joined = false; });
    this.consumer.on(this.consumer.events.CRASH, () => { this.joined = false; });
    this.decider = new Decider(this.consumer, this.dlqProducer, this.stores.scripts, this.stores.records, {
      topic: config.kafka.applicationsTopic,
      deadLetterTopic: config.kafka.deadLetterTopic,
      chunkSize: this.opts.chunkSize ?? 2_000,
      attempts: this.opts.attempts ?? 3,
      retryBaseMs: this.opts.retryBaseMs ?? 1_000,
      announce: announcer(this.stores.redis, config.redisPrefix),
      restorer: this.stores.restorer,
      restarts: new RedisRestarts(this.stores.redis),
    }, log, {
      decided: (ds) => { for (const d of ds) metrics.decisions.inc({ decision: d.decision === 'W' ? 'won' : 'lost' }); },
      deadLettered: (n) => metrics.deadLetters.inc(n),
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      log.fatal({ err: payload.error }, 'consumer crashed and will not restart');
      this.opts.onCrash?.(payload.error);
    });
    await this.decider.run();
    if (this.opts.sendEmails !== false) {
      this.mailer = new Mailer(config.ses);
      this.sender = new OutboxSender(new OutboxRepo(this.stores.sequelize), this.mailer, config.ses.ratePerSecond, log, undefined,
        (ok) => metrics.sesSends.inc({ result: ok ? 'sent' : 'failed' }));
      this.sender.start();
    }
    this.stopGauges = refreshGauges({ metrics, admin: this.admin, groupId: config.kafka.groupId, topic: config.kafka.applicationsTopic, outbox: new OutboxRepo(this.stores.sequelize) });
    const { redis, sequelize } = this.stores;
    const ops = await startOpsServer({
      host: config.host,
      port: config.metricsPort,
      registry: metrics.registry,
      readiness: () => readiness({
        redis: () => redis.ping(),
        mysql: () => sequelize.query('SELECT 1'),
        kafka: async () => {
          if (!this.joined) throw new Error('the decider has not joined its consumer group');
        },
      }),
    });
    this.ops = ops.server;
    this.opsUrl = ops.url;
    log.info({ topic: config.kafka.applicationsTopic, group: config.kafka.groupId, ops: this.opsUrl }, 'consumer running');
  }

  async stop(): Promise<void> {
    await this.stopGauges?.();
    await new Promise<void>((resolve) => (this.ops ? this.ops.close(() => resolve()) : resolve()));
    await this.sender?.stop();
    await this.consumer?.disconnect().catch(() => {});
    await this.dlqProducer?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
    this.mailer?.close();
    await this.stores?.close();
    this.log.info('consumer stopped');
  }
}
