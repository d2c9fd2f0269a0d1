import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../core/platform/config.ts';
import { createLogger, type Logger } from '../core/platform/log.ts';
import { followRedisRestarts, openStores, storeChecks, type Stores } from '../core/stores.ts';
import { createKafka, partitionCount, producerConfig } from '../core/adapters/kafka/client.ts';
import { applicationRecords, applicationSize } from '../core/adapters/kafka/application-records.ts';
import type { Decision } from '../core/domain/decision.ts';
import { GroupCommitProducer } from '../core/adapters/kafka/group-commit.ts';
import { RenewingProducer } from '../core/adapters/kafka/renewing-producer.ts';
import { Mailer } from '../core/adapters/ses/mailer.ts';
import { VerificationCodes } from '../core/use-cases/sign-in/codes.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import { Applications } from '../core/use-cases/participant/apply.ts';
import { admission, platformRequests } from './apply/2-admission.ts';
import { applyPath } from './apply/path.ts';
import { Door } from './door.ts';
import { startOutlasting } from '../core/adapters/outage.ts';
import { adminKeyCheck } from './middleware/auth.ts';
import { answerBeforeKoa, refusedBeforeKoa } from './before-koa.ts';
import { createApp, type Surface } from './app.ts';
import { Limits } from '../core/adapters/redis/limits.ts';
import { DecisionFeed } from '../core/adapters/redis/decision-feed.ts';
import { Subscriber } from '../core/adapters/redis/subscriber.ts';
import { SoldOutBoard } from '../core/adapters/redis/sold-out-board.ts';
import { Metrics } from '../core/platform/metrics.ts';
import { readiness } from '../core/platform/health.ts';
import type Koa from 'koa';
import type { ServerDeps } from './deps.ts';
import { AuditLog } from '../core/adapters/mysql/audit-log.ts';
import { AuditedEvents } from '../core/use-cases/operator/audited-events.ts';
import { DeadLetterDesk } from '../core/use-cases/operator/dead-letter-desk.ts';
import { DeadLetterTopic } from '../core/adapters/kafka/dead-letters.ts';
import { ReplayLog } from '../core/adapters/mysql/replay-log.ts';
import type { RedisRestarts } from '../core/adapters/redis/restarts.ts';
import { loadProofKeys } from '../core/adapters/keys/proof-keys.ts';
import { JwsSigner } from '../core/adapters/keys/jws.ts';
import { Receipts } from '../core/use-cases/proof/receipts.ts';
import { PublicLog } from '../core/use-cases/proof/public-log.ts';
import { StockWatch } from '../core/use-cases/participant/stock-watch.ts';
import { ProofLogRepo } from '../core/adapters/mysql/proof-log-repo.ts';
import { signNote } from '../core/adapters/keys/signed-note.ts';

export const DEFAULT_EVENT_NAME = "Terning's Final Gift";

/**
 * How many connections the kernel may hold for the API before it accepts them. A herd opens thousands
 * at once; with Node's default (511) the overflow is dropped or reset and retried a second later. The
 * kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 8_192;

/** Requests the app works on at once; the rest of a herd waits its turn in order (server/apply/2-admission.ts). */
const CONCURRENCY = 512;

/** How often Node looks for connections past their headers or request timeout (else every 30 s): a slow client outlives them by at most this. */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/** The API process: start() listens, stop() drains requests, flushes Kafka and closes connections. */
export class ApiServer {
  private servers: Server[] = [];
  private doors: Door[] = [];
  /** From the first moment of stop(): readiness fails, so that a load balancer sends no more. */
  private draining = false;
  private stopRequested = false;
  /** The apps listening, by surface: tests read their routes (server/routes/dispatch.ts routesOf). */
  readonly apps: { surface: Surface; url: string; app: Koa }[] = [];
  private stores?: Stores;
  private batcher?: GroupCommitProducer<Decision>;
  private applicationsProducer?: RenewingProducer;
  private mailer?: Mailer;
  private feed?: DecisionFeed;
  private stock?: StockWatch;
  private subscriber?: Subscriber;
  private restarts?: RedisRestarts;
  readonly metrics = new Metrics('terning-server');
  readonly log: Logger;

  constructor(
    private readonly config: Config,
    log?: Logger,
  ) {
    this.log = log ?? createLogger('terning-server', config.logLevel);
  }

  /**
   * Listening when it resolves. An outage met on the way (a broker down, Redis failing over) is waited
   * out, starting again (core/adapters/outage.ts startOutlasting); when it throws, what it had opened is
   * closed again.
   */
  /** The start under way, if any: stop() waits for it to give up before it closes anything. */
  private starting?: Promise<unknown>;

  async start(): Promise<{ url: string; adminUrl: string }> {
    return (this.starting = startOutlasting(
      () => this.open(),
      () => this.close(),
      { ms: this.config.startWaitMs, log: this.log, stopped: () => this.stopRequested },
    ));
  }

  private async open(): Promise<{ url: string; adminUrl: string }> {
    const { config, log } = this;
    this.stores = openStores(config, log);
    // A broker that hangs (frozen, cut off) holds a send until the request times out, and every apply is
    // refused meanwhile (core/adapters/kafka/group-commit.ts). kafkajs retries a timed-out produce on the leader it
    // knew, without asking who leads now: so one retry of 3 s, then the send fails, the producer is
    // replaced and the new one finds the partition's new leader (a broker silent for 4 s is fenced,
    // infra/kafka.ts). A produce is answered in milliseconds.
    const kafka = createKafka({ ...config.kafka, log, requestTimeout: 3_000 });
    const { metrics } = this;
    // Applications (and replayed dead letters) go through a producer that is renewed after a failed
    // send (see there).
    this.applicationsProducer = new RenewingProducer(() => kafka.producer({ ...producerConfig, retry: { retries: 1 } }), log);
    await this.applicationsProducer.connect();
    // One record per batch and partition (core/adapters/kafka/application-records.ts).
    const partitions = await partitionCount(kafka, config.kafka.applicationsTopic);
    if (partitions === undefined)
      log.warn(
        { topic: config.kafka.applicationsTopic },
        'the partitions of the applications topic are unknown: each batch goes to one partition',
      );
    this.batcher = new GroupCommitProducer(this.applicationsProducer, config.kafka.applicationsTopic, {
      pack: applicationRecords(partitions),
      sizeOf: applicationSize,
      observe: (size, seconds, ok) => {
        metrics.kafkaBatchSize.observe(size);
        metrics.kafkaSendLatency.observe({ result: ok ? 'ok' : 'error' }, seconds);
      },
    });
    this.mailer = new Mailer(config.ses);
    await this.stores.events.ensure(config.defaultEventId, DEFAULT_EVENT_NAME);
    const stores = this.stores;
    this.restarts = followRedisRestarts(stores, config, log);

    const limits = new Limits(this.stores.redis, config.redisPrefix, config.limits);
    this.subscriber = new Subscriber(this.stores.redis, `${config.redisPrefix}:subscriber`, log);
    this.feed = new DecisionFeed(this.subscriber, config.redisPrefix, log);
    // A missing or malformed key stops the start here, with the reason (production has no default).
    const keys = loadProofKeys(config.proof);
    this.stock = new StockWatch(
      async (id) => {
        const e = await this.stores!.events.snapshot(id, 'recent');
        return { remaining: e.remainingStock, total: e.totalStock, soldOut: e.totalStock > 0 && e.remainingStock === 0 };
      },
      (err, eventId) => log.warn({ err, eventId }, 'the stock could not be read for its watchers'),
    );
    const receipts = new Receipts(new JwsSigner(keys), keys.nonceSecret);
    const soldOut = new SoldOutBoard(this.stores.redis, config.redisPrefix, this.subscriber, log, (facts) => receipts.soldOut(facts));
    await soldOut.start();
    const { sequelize } = this.stores;
    const audit = new AuditLog(sequelize);
    const deadLetters = new DeadLetterDesk(
      new DeadLetterTopic(kafka, this.applicationsProducer, {
        applications: config.kafka.applicationsTopic,
        deadLetters: config.kafka.deadLetterTopic,
      }),
      new ReplayLog(sequelize),
      audit,
    );
    const deps = {
      config,
      log,
      limits,
      feed: this.feed,
      metrics,
      readiness: () =>
        readiness({
          api: async () => {
            if (this.draining) throw new Error('shutting down');
          },
          ...storeChecks(stores),
          kafka: async () => {
            if (!this.applicationsProducer?.connected) throw new Error('the producer is not connected');
          },
        }),
      events: this.stores.events,
      changes: new AuditedEvents(this.stores.events, audit),
      audit,
      deadLetters,
      tokens: new Tokens(config.jwt),
      codes: new VerificationCodes(
        this.stores.scripts,
        this.mailer,
        { ...config.code, secret: config.jwt.secret },
        limits,
        config.limits,
        log,
      ),
      applications: new Applications(this.stores.scripts, this.batcher, this.stores.events, this.stores.records, log, soldOut, receipts),
      keys,
      stock: this.stock,
      publicLog: new PublicLog(new ProofLogRepo(sequelize), (text) => signNote(text, config.proof.logName, keys), config.proof.logName),
    };
    const split = config.adminPort !== undefined;
    const url = await this.listen(split ? 'public' : 'all', deps, config.port);
    const adminUrl = split ? await this.listen('admin', deps, config.adminPort!) : url;
    log.info({ url, adminUrl }, 'api listening');
    return { url, adminUrl };
  }

  private async listen(surface: Surface, deps: ServerDeps, port: number): Promise<string> {
    const app = createApp(deps, surface);
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxHeaderSize } = this.config.http;
    // A participant's request arrives in milliseconds; a client that trickles it in is holding a connection.
    // requestTimeout ends once the request is whole, so a result stream (a GET) lives on.
    const handler = this.handler(surface, deps, app);
    const http = createServer(
      {
        headersTimeout: headersTimeoutMs,
        requestTimeout: requestTimeoutMs,
        connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
        maxHeaderSize,
        // Answered in the one error shape instead (server/before-koa.ts).
        requireHostHeader: false,
      },
      (req, res) => {
        if (refusedBeforeKoa(req, res)) return;
        if (door.draining) res.shouldKeepAlive = false;
        handler(req, res);
      },
    );
    answerBeforeKoa(http);
    const door = new Door(http, this.config.http, this.config.limits.networkPrefixes, CONNECTIONS_CHECKING_INTERVAL_MS);
    this.doors.push(door);
    http.keepAliveTimeout = keepAliveTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ port, host: this.config.host, backlog: LISTEN_BACKLOG }, () => resolve());
    });
    this.servers.push(http);
    const url = `http://${this.config.host}:${(http.address() as AddressInfo).port}`;
    this.apps.push({ surface, url, app });
    return url;
  }

  /** The public surface's requests take the apply path (server/apply/path.ts); the admin surface's only wait their turn. */
  private handler(surface: Surface, deps: ServerDeps, app: Koa): RequestListener {
    const { config } = deps;
    const limits = {
      concurrency: CONCURRENCY,
      queueLimit: config.http.queueLimit,
      maxPipelined: config.http.maxPipelined,
      production: config.env === 'production',
    };
    const skips = platformRequests(adminKeyCheck(config.adminKey));
    return surface === 'admin' ? admission(app.callback(), limits, skips) : applyPath(deps, app.callback(), limits, skips);
  }

  /** Open stock streams in this process (the benchmark and the tests read it). */
  get stockWatchers(): number {
    return this.stock?.watchers ?? 0;
  }

  /**
   * A rolling deploy's drain (docs/operations.md, Rolling deploy): readiness fails at once; for SHUTDOWN_DELAY_MS the
   * API still takes connections, while the load balancer notices and stops sending, and answers each
   * request with Connection: close; then it takes no more, answers every request it took, closes its
   * connections (server/door.ts), and only then flushes Kafka and closes the stores.
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    // Closing what a start is opening at this moment (a producer half connected) can leave that start
    // waiting for ever; it gives up by itself once it sees the stop, closing what it opened.
    await this.starting?.catch(() => {});
    await this.close();
  }

  /** One close at a time: a stop() may come while a start that failed closes what it had opened. */
  private closing?: Promise<void>;

  private close(): Promise<void> {
    return (this.closing ??= this.closeNow().finally(() => {
      this.closing = undefined;
    }));
  }

  private async closeNow(): Promise<void> {
    this.draining = true;
    const { http } = this.config;
    if (this.doors.length) {
      this.log.info({ delayMs: this.config.shutdownDelayMs }, 'draining: readiness fails, connections still taken');
      for (const door of this.doors) door.draining = true;
      await new Promise((resolve) => setTimeout(resolve, this.config.shutdownDelayMs));
    }
    // Open result streams end (their EventSource reconnects elsewhere), or the drain would wait on them.
    this.feed?.close();
    this.stock?.close();
    const drained = Promise.all(this.doors.map((door) => door.drain(http.requestTimeoutMs + http.keepAliveTimeoutMs)));
    this.log.info('draining: no new connections; answering those taken');
    await drained;
    for (const door of this.doors) door.close();
    await this.restarts?.stop();
    await this.subscriber?.close();
    await this.batcher?.flush();
    await this.applicationsProducer?.disconnect();
    this.mailer?.close();
    await this.stores?.close();
    // A start that failed may try again: it begins from nothing.
    this.servers = [];
    this.doors = [];
    this.apps.length = 0;
    this.feed =
      this.stock =
      this.restarts =
      this.subscriber =
      this.batcher =
      this.applicationsProducer =
      this.mailer =
      this.stores =
        undefined;
    this.draining = this.stopRequested;
    this.log.info('api stopped');
  }
}
