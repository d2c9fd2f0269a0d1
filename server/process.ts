import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Producer } from 'kafkajs';
import type { Config } from '../core/config.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { createKafka, producerConfig } from '../core/kafka/client.ts';
import { GroupCommitProducer } from '../core/kafka/group-commit.ts';
import { Mailer } from '../core/email/mailer.ts';
import { VerificationCodes } from '../core/auth/codes.ts';
import { Tokens } from '../core/auth/tokens.ts';
import { Applications } from '../core/applications.ts';
import { createApp } from './app.ts';

export const DEFAULT_EVENT_NAME = "Terning's Final Gift";

/** The API process: start() listens, stop() drains requests, flushes Kafka and closes connections. */
export class ApiServer {
  private http?: Server;
  private stores?: Stores;
  private producer?: Producer;
  private batcher?: GroupCommitProducer;
  private mailer?: Mailer;
  readonly log: Logger;

  constructor(private readonly config: Config, log?: Logger) {
    this.log = log ?? createLogger('terning-server', config.logLevel);
  }

  async start(): Promise<{ url: string }> {
    const { config, log } = this;
    this.stores = openStores(config);
    const kafka = createKafka({ ...config.kafka, log });
    this.producer = kafka.producer(producerConfig);
    await this.producer.connect();
    this.batcher = new GroupCommitProducer(this.producer, config.kafka.applicationsTopic);
    this.mailer = new Mailer(config.ses);
    await this.stores.events.ensure(config.defaultEventId, DEFAULT_EVENT_NAME);

    const app = createApp({
      config,
      log,
      events: this.stores.events,
      tokens: new Tokens(config.jwt),
      codes: new VerificationCodes(this.stores.scripts, this.mailer, { ...config.code, secret: config.jwt.secret }, log),
      applications: new Applications(this.stores.scripts, this.batcher, this.stores.events, this.stores.records, log),
    });
    this.http = createServer(app.callback());
    this.http.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(config.port, config.host, () => resolve());
    });
    const { port } = this.http.address() as AddressInfo;
    const url = `http://${config.host}:${port}`;
    log.info({ url }, 'api listening');
    return { url };
  }

  async stop(): Promise<void> {
    if (this.http) {
      const closed = new Promise<void>((resolve) => this.http!.close(() => resolve()));
      this.http.closeIdleConnections();
      await closed;
    }
    await this.batcher?.flush();
    await this.producer?.disconnect().catch(() => {});
    this.mailer?.close();
    await this.stores?.close();
    this.log.info('api stopped');
  }
}
