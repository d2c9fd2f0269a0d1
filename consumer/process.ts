import type { Consumer, Producer } from 'kafkajs';
import type { Config } from '../core/config.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { createKafka, producerConfig } from '../core/kafka/client.ts';
import { OutboxRepo } from '../core/db/outbox-repo.ts';
import { Mailer } from '../core/email/mailer.ts';
import { Decider, type DeciderOptions } from './decider.ts';
import { OutboxSender } from './outbox-sender.ts';
import { announcer } from '../core/decision-feed.ts';

export interface ConsumerOptions extends Partial<DeciderOptions> { sendEmails?: boolean }

/** The consumer process: the decider in a consumer group, and the outbox sender beside it. */
export class ConsumerProcess {
  private stores?: Stores;
  private consumer?: Consumer;
  private dlqProducer?: Producer;
  private sender?: OutboxSender;
  private mailer?: Mailer;
  decider?: Decider;
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
    await Promise.all([this.consumer.connect(), this.dlqProducer.connect()]);
    this.decider = new Decider(this.consumer, this.dlqProducer, this.stores.scripts, this.stores.records, {
      topic: config.kafka.applicationsTopic,
      deadLetterTopic: config.kafka.deadLetterTopic,
      chunkSize: this.opts.chunkSize ?? 2_000,
      attempts: this.opts.attempts ?? 3,
      retryBaseMs: this.opts.retryBaseMs ?? 1_000,
      announce: announcer(this.stores.redis, config.redisPrefix),
      restorer: this.stores.restorer,
    }, log);
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) log.fatal({ err: payload.error }, 'consumer crashed and will not restart');
    });
    await this.decider.run();
    if (this.opts.sendEmails !== false) {
      this.mailer = new Mailer(config.ses);
      this.sender = new OutboxSender(new OutboxRepo(this.stores.sequelize), this.mailer, config.ses.ratePerSecond, log);
      this.sender.start();
    }
    log.info({ topic: config.kafka.applicationsTopic, group: config.kafka.groupId }, 'consumer running');
  }

  async stop(): Promise<void> {
    await this.sender?.stop();
    await this.consumer?.disconnect().catch(() => {});
    await this.dlqProducer?.disconnect().catch(() => {});
    this.mailer?.close();
    await this.stores?.close();
    this.log.info('consumer stopped');
  }
}
