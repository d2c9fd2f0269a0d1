import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { join } from 'node:path';
import { EVENT_ID } from '../domain/rules.ts';
import { ROOT } from './root.ts';

/** Every setting terning reads, with a default that works on a developer's machine. */
export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  mysqlUrl: string;
  redisUrl: string;
  /** Sentinels to ask for the primary (REDIS_SENTINELS); empty: Redis is at redisUrl's host and port. */
  redisSentinels: { host: string; port: number }[];
  /** The primary's name at the Sentinels. */
  redisMasterName: string;
  /** A winner is told 202 only once this many Redis replicas hold their confirm (WAIT); 0: the primary's word. */
  redisConfirmReplicas: number;
  redisPrefix: string;
  kafka: { brokers: string[]; clientId: string; applicationsTopic: string; deadLetterTopic: string; groupId: string };
  jwt: { secret: string; issuer: string; audience: string; ttlSeconds: number };
  adminKey: string;
  ses: { endpoint: string | undefined; region: string; from: string; ratePerSecond: number };
  /**
   * maxAttempts: wrong tries on one sign-in's code by the client holding its challenge id;
   * maxAttemptsWithoutChallenge: wrong tries on a person's latest code from clients that send no id, all together.
   */
  code: { ttlSeconds: number; maxAttempts: number; maxAttemptsWithoutChallenge: number; resendSeconds: number };
  defaultEventId: string;
  logLevel: string;
  /** The consumer's /metrics, /healthz and /readyz. */
  metricsPort: number;
  /** Serve the admin routes on this port only (never the public one); undefined: on the public port. */
  adminPort: number | undefined;
  /** The stock stream process (`terning stock-stream`, server/stock-stream/): its port, and the watchers it holds at most. */
  stockStream: { port: number; maxWatchers: number };
  /** How long the API's HTTP servers wait on a client, and what they hold for clients at most (server/door.ts). */
  http: HttpLimits;
  /**
   * Proxies in front of the API, each appending the address it saw to X-Forwarded-For: the client is
   * the entry this many from the right (what the nearest proxy can vouch for); 0: the socket's address.
   */
  trustProxy: number;
  corsOrigins: string[];
  limits: Limits;
  /** On SIGTERM, how long the API keeps taking connections with readiness failing, before it stops taking them and drains. */
  shutdownDelayMs: number;
  /** How long a process's start waits out an outage (a broker down, Redis failing over) before it gives up. */
  startWaitMs: number;
  /** A reservation Kafka never took is released this long after the gate made it (the consumer's sweeper). */
  reservationTimeoutSeconds: number;
  /**
   * The proofs' keys (core/adapters/keys/proof-keys.ts): the key file's text, or its path; without
   * either (never in production), a development file made once at devKeysFile. logName names the
   * logs' checkpoints (their origin is `<logName>/events/<event id>`) and the key that signs them.
   */
  proof: { keys?: string; keysFile?: string; devKeysFile: string; logName: string };
}

export interface HttpLimits {
  /** For its headers, its whole request (headers and body), an idle keep-alive connection. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** A connection whose answer the client has not read any of for this long is closed. */
  writeStallMs: number;
  /** Bytes of request line and headers together; past it 431. */
  maxHeaderSize: number;
  /** Open connections per listening port; past it a new one is closed as it arrives. */
  maxConnections: number;
  /** Open connections per client network (networkPrefixes: an IPv4 address, an IPv6 /64); 0: no cap. Off behind a trusted proxy, which caps its clients itself. */
  maxConnectionsPerNetwork: number;
  /** Requests waiting their turn (server/apply/2-admission.ts); past it 503 SERVICE_BUSY with Retry-After. */
  queueLimit: number;
  /**
   * Requests that skip the turn (a body, a probe, a stream) a connection may have pipelined behind the
   * one of them the app works on (server/apply/2-admission.ts); past it the connection is closed.
   */
  maxPipelined: number;
}

/**
 * Abuse limits. Sign-in's are counted in Redis per network (an IPv6 /64, an IPv4 address or the prefix
 * set), its sends as token buckets earned back evenly over the hour; per person (token) in each API process.
 */
export interface Limits {
  /** Sends to one person from one network: a stranger's sends use up only the stranger's own network's. */
  codeSendsPerAddressPerHour: number;
  /** Sends from one network, to anyone. */
  codeSendsPerIpPerHour: number;
  /** Sends in all, from anywhere: what the mail sender's reputation (bounces, complaints) can take. */
  codeSendsPerMinute: number;
  /** Failed checks without a challenge id from one network. */
  failedCodeChecksPerIpPerHour: number;
  /** The bits of a client address that name its network. */
  networkPrefixes: { ipv4: number; ipv6: number };
  /** Wrong admin keys from one network (LIMIT_ADMIN_FAILURES_PER_IP_PER_15_MINUTES: the name is older than networks). */
  adminFailuresPerIpPer15Minutes: number;
  appliesPerPersonPer10Seconds: number;
  statusChecksPerPersonPerMinute: number;
}

const DEV_JWT_SECRET = 'terning-dev-secret-change-me-in-production';
const DEV_ADMIN_KEY = 'terning-dev-admin-key';
/** Production refuses secrets shorter than this: both guard everything (tokens, the admin surface). */
export const MIN_SECRET_LENGTH = 32;
/** Secrets anyone can read in this repository, its docs and its compose files: never good in production. */
const PUBLIC_SECRETS = new Set([DEV_JWT_SECRET, DEV_ADMIN_KEY]);

const int = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: int(3000),
  HOST: z.string().default('127.0.0.1'),
  MYSQL_URL: z
    .string()
    .url()
    .refine((u) => !URL.canParse(u) || new URL(u).protocol === 'mysql:', 'a mysql:// URL')
    .default('mysql://root@127.0.0.1:3306/terning'),
  REDIS_URL: z
    .string()
    .url()
    .refine((u) => !URL.canParse(u) || /^rediss?:$/.test(new URL(u).protocol), 'a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  REDIS_SENTINELS: z
    .string()
    .regex(/^\s*[^\s,:]+:\d+\s*(,\s*[^\s,:]+:\d+\s*)*$/, 'expected host:port,host:port,...')
    .optional(),
  REDIS_MASTER_NAME: z.string().min(1).default('terning'),
  REDIS_CONFIRM_REPLICAS: int(0),
  REDIS_PREFIX: z.string().min(1).default('terning'),
  KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().default('terning'),
  KAFKA_TOPIC: z.string().default('terning.applications'),
  KAFKA_DLQ_TOPIC: z.string().default('terning.applications.dlq'),
  KAFKA_GROUP_ID: z.string().default('terning-persisters'),
  JWT_SECRET: z.string().optional(),
  JWT_SECRET_FILE: z.string().optional(),
  JWT_ISSUER: z.string().default('terning'),
  JWT_AUDIENCE: z.string().default('terning-api'),
  JWT_TTL_SECONDS: int(600),
  ADMIN_KEY: z.string().optional(),
  ADMIN_KEY_FILE: z.string().optional(),
  SES_ENDPOINT: z.string().url().optional(),
  SES_REGION: z.string().default('us-east-1'),
  SES_FROM: z.string().email().default('gift@terning.local'),
  SES_RATE_PER_SECOND: int(14),
  CODE_TTL_SECONDS: int(300),
  CODE_MAX_ATTEMPTS: int(3),
  CODE_MAX_ATTEMPTS_WITHOUT_CHALLENGE: int(3),
  CODE_RESEND_SECONDS: int(60),
  DEFAULT_EVENT_ID: z.string().regex(EVENT_ID).default('default'),
  METRICS_PORT: int(9464),
  STOCK_STREAM_PORT: int(3002),
  STOCK_STREAM_MAX_WATCHERS: z.coerce.number().int().min(1).default(100_000),
  ADMIN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  HTTP_WRITE_STALL_MS: z.coerce.number().int().min(1).default(10_000),
  HTTP_MAX_HEADER_SIZE: z.coerce.number().int().min(1_024).max(65_536).default(8_192),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(4_000),
  HTTP_MAX_CONNECTIONS_PER_NETWORK: int(256),
  HTTP_QUEUE_LIMIT: z.coerce.number().int().min(1).default(2_048),
  HTTP_MAX_PIPELINED: z.coerce.number().int().min(0).default(8),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2})$/, 'a count of proxies in front (0, 1, 2, ...); true is 1, false 0')
    .default('0'),
  CORS_ORIGINS: z.string().default(''),
  LIMIT_CODE_SENDS_PER_ADDRESS_PER_HOUR: int(5),
  LIMIT_CODE_SENDS_PER_IP_PER_HOUR: int(60),
  LIMIT_CODE_SENDS_PER_MINUTE: int(600),
  LIMIT_IPV4_PREFIX: z.coerce.number().int().min(1).max(32).default(32),
  LIMIT_IPV6_PREFIX: z.coerce.number().int().min(1).max(128).default(64),
  LIMIT_FAILED_CODE_CHECKS_PER_IP_PER_HOUR: int(30),
  LIMIT_ADMIN_FAILURES_PER_IP_PER_15_MINUTES: int(10),
  LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: int(10),
  LIMIT_STATUS_CHECKS_PER_PERSON_PER_MINUTE: int(120),
  SHUTDOWN_DELAY_MS: int(3_000),
  START_WAIT_SECONDS: int(180),
  RESERVATION_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(30),
  PROOF_KEYS: z.string().optional(),
  PROOF_KEYS_FILE: z.string().optional(),
  PROOF_LOG_NAME: z
    .string()
    .regex(/^[\x21-\x7e]+$/, 'printable, no spaces, no "+"')
    .refine((n) => !n.includes('+'), 'no "+"')
    .default('terning'),
  TERNING_HOME: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset, as a compose file's pass-through leaves it.
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const jwtSecret = e.JWT_SECRET ?? secretFile('JWT_SECRET_FILE', e.JWT_SECRET_FILE);
  const adminKey = e.ADMIN_KEY ?? secretFile('ADMIN_KEY_FILE', e.ADMIN_KEY_FILE);
  if (production) productionSecrets({ JWT_SECRET: jwtSecret, ADMIN_KEY: adminKey });
  if (production && !e.PROOF_KEYS && !e.PROOF_KEYS_FILE) {
    throw new ConfigError(
      'NODE_ENV=production needs PROOF_KEYS_FILE (or PROOF_KEYS): the key file of the receipts and the public logs (terning log keygen prints one)',
    );
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS must not be longer than HTTP_REQUEST_TIMEOUT_MS: the headers are part of the request');
  }
  const trustProxy = e.TRUST_PROXY === 'true' ? 1 : e.TRUST_PROXY === 'false' ? 0 : Number(e.TRUST_PROXY);
  // Local development talks to the SES emulator unless told otherwise; production talks to AWS.
  const sesEndpoint = e.SES_ENDPOINT ?? (production ? undefined : 'http://127.0.0.1:8005');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    mysqlUrl: e.MYSQL_URL,
    redisUrl: e.REDIS_URL,
    redisSentinels: parseHostPorts(e.REDIS_SENTINELS ?? ''),
    redisMasterName: e.REDIS_MASTER_NAME,
    redisConfirmReplicas: e.REDIS_CONFIRM_REPLICAS,
    redisPrefix: e.REDIS_PREFIX,
    kafka: {
      brokers: e.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      clientId: e.KAFKA_CLIENT_ID,
      applicationsTopic: e.KAFKA_TOPIC,
      deadLetterTopic: e.KAFKA_DLQ_TOPIC,
      groupId: e.KAFKA_GROUP_ID,
    },
    jwt: { secret: jwtSecret ?? DEV_JWT_SECRET, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, ttlSeconds: e.JWT_TTL_SECONDS },
    adminKey: adminKey ?? DEV_ADMIN_KEY,
    ses: { endpoint: sesEndpoint, region: e.SES_REGION, from: e.SES_FROM, ratePerSecond: Math.max(1, e.SES_RATE_PER_SECOND) },
    code: {
      ttlSeconds: e.CODE_TTL_SECONDS,
      maxAttempts: Math.max(1, e.CODE_MAX_ATTEMPTS),
      maxAttemptsWithoutChallenge: Math.max(1, e.CODE_MAX_ATTEMPTS_WITHOUT_CHALLENGE),
      resendSeconds: e.CODE_RESEND_SECONDS,
    },
    defaultEventId: e.DEFAULT_EVENT_ID,
    logLevel: e.LOG_LEVEL,
    metricsPort: e.METRICS_PORT,
    adminPort: e.ADMIN_PORT,
    stockStream: { port: e.STOCK_STREAM_PORT, maxWatchers: e.STOCK_STREAM_MAX_WATCHERS },
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      writeStallMs: e.HTTP_WRITE_STALL_MS,
      maxHeaderSize: e.HTTP_MAX_HEADER_SIZE,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      maxConnectionsPerNetwork: trustProxy > 0 ? 0 : e.HTTP_MAX_CONNECTIONS_PER_NETWORK,
      queueLimit: e.HTTP_QUEUE_LIMIT,
      maxPipelined: e.HTTP_MAX_PIPELINED,
    },
    trustProxy,
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    limits: {
      codeSendsPerAddressPerHour: Math.max(1, e.LIMIT_CODE_SENDS_PER_ADDRESS_PER_HOUR),
      codeSendsPerIpPerHour: Math.max(1, e.LIMIT_CODE_SENDS_PER_IP_PER_HOUR),
      codeSendsPerMinute: Math.max(1, e.LIMIT_CODE_SENDS_PER_MINUTE),
      failedCodeChecksPerIpPerHour: Math.max(1, e.LIMIT_FAILED_CODE_CHECKS_PER_IP_PER_HOUR),
      networkPrefixes: { ipv4: e.LIMIT_IPV4_PREFIX, ipv6: e.LIMIT_IPV6_PREFIX },
      adminFailuresPerIpPer15Minutes: Math.max(1, e.LIMIT_ADMIN_FAILURES_PER_IP_PER_15_MINUTES),
      appliesPerPersonPer10Seconds: Math.max(1, e.LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS),
      statusChecksPerPersonPerMinute: Math.max(1, e.LIMIT_STATUS_CHECKS_PER_PERSON_PER_MINUTE),
    },
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    startWaitMs: e.START_WAIT_SECONDS * 1_000,
    reservationTimeoutSeconds: e.RESERVATION_TIMEOUT_SECONDS,
    proof: {
      keys: e.PROOF_KEYS,
      keysFile: e.PROOF_KEYS_FILE,
      // TERNING_HOME, where terning keeps what it makes at run time (as infra/paths.ts): not a folder of the image's.
      devKeysFile: join(e.TERNING_HOME || join(ROOT, '.terning'), 'proof-keys.json'),
      logName: e.PROOF_LOG_NAME,
    },
  };
}

/** A secret kept in a file (X_FILE, as Docker's secrets are): its content, the final newline dropped. */
function secretFile(name: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '') || undefined;
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** A production secret must be set, not one this repository publishes, and long enough not to be guessed. */
function productionSecrets(secrets: Record<'JWT_SECRET' | 'ADMIN_KEY', string | undefined>): void {
  const names = Object.keys(secrets) as (keyof typeof secrets)[];
  const missing = names.filter((k) => !secrets[k]);
  if (missing.length) {
    throw new ConfigError(
      `NODE_ENV=production needs ${missing.join(' and ')}: set ${missing.map((k) => `${k}=...`).join(' ')} (or ${missing.map((k) => `${k}_FILE`).join(', ')}) and start again`,
    );
  }
  for (const name of names) {
    const value = secrets[name]!;
    if (PUBLIC_SECRETS.has(value))
      throw new ConfigError(
        `NODE_ENV=production refuses ${name}: it is the development value, public in this repository; generate one (openssl rand -hex 32)`,
      );
    if (value.length < MIN_SECRET_LENGTH)
      throw new ConfigError(`NODE_ENV=production needs a ${name} of at least ${MIN_SECRET_LENGTH} characters (openssl rand -hex 32)`);
  }
}

/** "host:port,host:port" into addresses; blanks dropped. */
export function parseHostPorts(list: string): { host: string; port: number }[] {
  return list
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .map((a) => {
      const at = a.lastIndexOf(':');
      return { host: a.slice(0, at), port: Number(a.slice(at + 1)) };
    });
}
