import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { parseHostPorts } from '../core/platform/config.ts';
import { createRedis, type RedisTarget } from '../core/adapters/redis/client.ts';
import { isLoopback, listenHost, portOpen } from './net.ts';
import { terningHome } from './paths.ts';
import { managedPid, spawnDetached } from './process.ts';
import { redact, type Log, type Service } from './service.ts';
import { requireTools, type Tool } from './tools.ts';

export const REDIS_SERVER: Tool = { bin: 'redis-server', pkg: 'redis-server' };
export const REDIS_SENTINEL: Tool = { bin: 'redis-sentinel', pkg: 'redis-sentinel' };

const url = () => new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const password = () => decodeURIComponent(url().password);

/** What the processes of terning read, from the same variables. */
export const redisTarget = (): RedisTarget => ({
  redisUrl: url().toString(),
  redisSentinels: parseHostPorts(process.env.REDIS_SENTINELS ?? ''),
  redisMasterName: process.env.REDIS_MASTER_NAME || 'terning',
});

/**
 * With REDIS_SENTINELS set, terning runs Redis with failover on this machine: a primary at REDIS_URL's
 * port, two replicas on the next two ports, and a Sentinel at each address of REDIS_SENTINELS, which
 * promote a replica when the primary is down for SENTINEL_DOWN_AFTER_MS (a majority of them agreeing).
 */
const withFailover = () => redisTarget().redisSentinels.length > 0;

/**
 * A primary takes a write only while a replica acknowledged the stream within MIN_REPLICAS_MAX_LAG_S:
 * one cut off from its replicas (a network partition) stops taking writes about that long after, as
 * the Sentinels begin to fail over (SENTINEL_DOWN_AFTER_MS). Two replicas, so that losing one, or a
 * failover (the promoted replica keeps the other), does not stop the writes.
 */
export const MIN_REPLICAS_TO_WRITE = 1;
export const MIN_REPLICAS_MAX_LAG_S = 2;

/**
 * The fault suite puts a proxy of its own at each node's address, to cut the links between the Redis
 * processes while terning's still pass (faults/redis-links.ts): with TERNING_REDIS_LISTEN_SHIFT set,
 * a node listens that many ports above its address and announces its address, and the nodes and
 * Sentinels open their links from LINK_SOURCE_ADDRESS, which tells them apart.
 */
const listenShift = () => Number(process.env.TERNING_REDIS_LISTEN_SHIFT || 0);
export const LINK_SOURCE_ADDRESS = '127.0.0.2';

/** The three servers: any may be the primary, depending on the failovers so far. */
export function redisNodes(): { name: string; host: string; port: number; listenPort: number }[] {
  const host = listenHost(url().hostname);
  const port = Number(url().port || 6379);
  return ['redis', 'redis-2', 'redis-3'].map((name, i) => ({ name, host, port: port + i, listenPort: port + i + listenShift() }));
}

const sentinelProcesses = () =>
  redisTarget().redisSentinels.map((s, i) => ({ name: `redis-sentinel-${i + 1}`, host: listenHost(s.host), port: s.port }));

/** Long enough that a loaded machine's pause is not taken for a crash; short enough to fail over in seconds. */
const SENTINEL_DOWN_AFTER_MS = 3_000;
const QUORUM = 2;

/** A client that fails at once instead of waiting for a reconnect: a status check, not a user. */
function quickClient(target: RedisTarget): Redis {
  return createRedis(target, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
    failoverDetector: false,
    enableAutoPipelining: false,
  });
}

async function withClient<T>(target: RedisTarget, fn: (c: Redis) => Promise<T>): Promise<T> {
  const client = quickClient(target);
  // The 'error' event has the cause (ECONNREFUSED...); connect() only says "Connection is closed."
  let cause: unknown;
  client.on('error', (err) => (cause = err));
  try {
    await client.connect();
    return await fn(client);
  } catch (err) {
    throw cause ?? err;
  } finally {
    client.disconnect();
  }
}

const sentinelTarget = (host: string, port: number): RedisTarget => ({
  redisUrl: `redis://${host}:${port}`,
  redisSentinels: [],
  redisMasterName: '',
});

/** The primary's address as the Sentinels see it (the first that answers), or undefined when none does. */
export async function sentinelPrimary(): Promise<{ host: string; port: number } | undefined> {
  for (const s of sentinelProcesses()) {
    const addr = (await withClient(sentinelTarget(s.host, s.port), (c) =>
      c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', redisTarget().redisMasterName),
    ).catch(() => null)) as [string, string] | null;
    if (addr) return { host: addr[0], port: Number(addr[1]) };
  }
  return undefined;
}

/** Which of redisNodes() the Sentinels name primary now. */
export async function primaryNode(): Promise<string | undefined> {
  const p = await sentinelPrimary();
  return redisNodes().find((n) => p && n.port === p.port)?.name;
}

/**
 * Starts one server. A node that comes back while the Sentinels name another primary starts as its
 * replica (its own data is replaced by the primary's); on the very first start the other nodes
 * replicate the first.
 */
export async function startRedisNode(name: string, log: Log): Promise<void> {
  const { 'redis-server': bin } = await requireTools('redis', [REDIS_SERVER], log);
  const nodes = withFailover() ? redisNodes() : redisNodes().slice(0, 1);
  const node = nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no Redis node ${name}`);
  let primary: { host: string; port: number } | undefined;
  if (withFailover()) {
    primary = (await sentinelPrimary()) ?? (name === nodes[0]!.name ? undefined : nodes[0]);
    if (primary?.port === node.port) primary = undefined;
  }
  const dir = join(terningHome(), name);
  mkdirSync(dir, { recursive: true });
  const pw = password();
  // Append-only with a sync every second: rate-limit and stock counters survive a restart.
  await spawnDetached(name, bin, [
    '--port',
    String(node.listenPort),
    '--bind',
    node.host,
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--daemonize',
    'no',
    ...(pw ? ['--requirepass', pw, '--masterauth', pw] : []),
    // A primary that freed its backlog takes a new replication id when a replica comes back, and
    // every event is restored (docs/decide-at-arrival.md, Restore): the backlog is kept for good.
    ...(withFailover()
      ? [
          '--repl-backlog-ttl',
          '0',
          '--min-replicas-to-write',
          String(MIN_REPLICAS_TO_WRITE),
          '--min-replicas-max-lag',
          String(MIN_REPLICAS_MAX_LAG_S),
        ]
      : []),
    ...(listenShift()
      ? ['--replica-announce-ip', node.host, '--replica-announce-port', String(node.port), '--bind-source-addr', LINK_SOURCE_ADDRESS]
      : []),
    ...(primary ? ['--replicaof', primary.host, String(primary.port)] : []),
  ]);
}

/** A Sentinel keeps what it learnt (the current primary, the others) in its own file: written only once. */
async function startSentinel(s: { name: string; host: string; port: number }, log: Log): Promise<void> {
  const { 'redis-sentinel': bin } = await requireTools('redis', [REDIS_SENTINEL], log);
  const dir = join(terningHome(), s.name);
  const conf = join(dir, 'sentinel.conf');
  if (!existsSync(conf)) {
    const first = redisNodes()[0]!;
    const name = redisTarget().redisMasterName;
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      conf,
      [
        `port ${s.port}`,
        `bind ${s.host}`,
        `dir ${dir}`,
        'daemonize no',
        `sentinel monitor ${name} ${first.host} ${first.port} ${QUORUM}`,
        `sentinel down-after-milliseconds ${name} ${SENTINEL_DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        // It announces itself at the address its links come from, where it does not listen.
        ...(listenShift() ? [`bind-source-addr ${LINK_SOURCE_ADDRESS}`, `sentinel announce-ip ${s.host}`] : []),
        ...(password() ? [`sentinel auth-pass ${name} ${password()}`] : []),
        '',
      ].join('\n'),
    );
  }
  await spawnDetached(s.name, bin, [conf]);
}

const ours = () =>
  [...redisNodes(), ...sentinelProcesses()].some(
    (p) => managedPid(p.name, p.name.includes('sentinel') ? 'sentinel' : 'redis-server') !== undefined,
  );

async function startAll(log: Log): Promise<void> {
  for (const p of [...redisNodes(), ...sentinelProcesses()]) {
    if (!isLoopback(p.host)) throw new Error(`${p.host}:${p.port} is not on this machine; terning only starts services here`);
  }
  for (const n of redisNodes()) {
    if (managedPid(n.name, 'redis-server') !== undefined) continue;
    if (await portOpen(n.host, n.listenPort))
      throw new Error(`something else listens at ${n.host}:${n.listenPort}, where the Redis node ${n.name} goes`);
    log(`redis: starting ${n.name} at ${n.host}:${n.port}`);
    await startRedisNode(n.name, log);
  }
  for (const s of sentinelProcesses()) {
    if (managedPid(s.name, 'sentinel') !== undefined) continue;
    if (await portOpen(s.host, s.port)) throw new Error(`something else listens at ${s.host}:${s.port}, where ${s.name} goes`);
    log(`redis: starting ${s.name} at ${s.host}:${s.port}`);
    await startSentinel(s, log);
  }
}

const fields = (r: string[]) => Object.fromEntries(r.flatMap((v, i) => (i % 2 ? [] : [[v, r[i + 1]]]))) as Record<string, string>;

/** A failover needs the replicas in sync and a quorum of Sentinels that know each other and them. */
async function failoverReady(): Promise<void> {
  const name = redisTarget().redisMasterName;
  const want = sentinelProcesses().length;
  const until = Date.now() + 60_000;
  for (;;) {
    const views = await Promise.all(
      sentinelProcesses().map((s) =>
        withClient(sentinelTarget(s.host, s.port), async (c) => {
          const replicas = ((await c.call('SENTINEL', 'REPLICAS', name)) as string[][]).map(fields);
          const others = (await c.call('SENTINEL', 'SENTINELS', name)) as string[][];
          const linked = replicas.filter((r) => !/s_down|disconnected/.test(r.flags ?? '') && r['master-link-status'] === 'ok').length;
          return { linked, others: others.length };
        }).catch((e: unknown) => ({ linked: 0, others: 0, error: String(e) })),
      ),
    );
    if (views.every((v) => v.linked >= redisNodes().length - 1 && v.others >= want - 1)) return;
    if (Date.now() > until)
      throw new Error(`the Sentinels do not see every replica linked and each other after 60 s: ${JSON.stringify(views)}`);
    await sleep(500);
  }
}

export const redis: Service = {
  name: 'redis',
  marker: 'redis-server',
  get tools() {
    return withFailover() ? [REDIS_SERVER, REDIS_SENTINEL] : [REDIS_SERVER];
  },
  startTimeoutMs: 30_000,
  stopTimeoutMs: 10_000,
  // With failover, the replicas and the Sentinels are started and stopped with the first node.
  members: () =>
    withFailover()
      ? [
          ...redisNodes()
            .slice(1)
            .map((n) => ({ name: n.name, marker: 'redis-server' })),
          ...sentinelProcesses().map((s) => ({ name: s.name, marker: 'sentinel' })),
        ]
      : [],
  address: () =>
    withFailover()
      ? `${redisTarget().redisMasterName} through the Sentinels at ${sentinelProcesses()
          .map((s) => `${s.host}:${s.port}`)
          .join(',')}`
      : redact(url()),
  // Where the first node listens: behind the fault suite's proxy, above its address.
  endpoint: () => ({ host: url().hostname, port: Number(url().port || 6379) + listenShift() }),
  ping: () => withClient(redisTarget(), (c) => c.ping()).then(() => {}),
  start: (log) => (withFailover() ? startAll(log) : startRedisNode('redis', log)),
  /** Ours with failover: a node or Sentinel that died since is started again (the first may not be the primary now). */
  async ready(log) {
    if (!withFailover() || !ours()) return;
    await startAll(log);
    await failoverReady();
  },
};
