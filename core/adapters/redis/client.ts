import { Redis, SentinelConnector, type RedisOptions } from 'ioredis';

/** Where Redis is: at the URL's host and port, or, with Sentinels, wherever they say the primary is. */
export interface RedisTarget {
  /** The password, user and database always come from here; the host and port only without Sentinels. */
  redisUrl: string;
  redisSentinels: { host: string; port: number }[];
  redisMasterName: string;
}

/**
 * ioredis's SentinelConnector, except that the failover detector of the previous connection is dropped
 * before a new connection is made. The primary killed, the client reconnects; when the Sentinels then
 * announce +switch-master, that old detector disconnects the connector in the middle of the connect,
 * and ioredis gives the client up for good: every command after is "Connection is closed." (seen in
 * an API process in the cluster fault suite; ioredis#1683). Each new connection gets its own detector.
 */
class FollowingSentinelConnector extends SentinelConnector {
  connect(emit: Parameters<SentinelConnector['connect']>[0]) {
    const self = this as unknown as { failoverDetector: { cleanup(): void } | null };
    self.failoverDetector?.cleanup();
    self.failoverDetector = null;
    return super.connect(emit);
  }
}

/**
 * A connection that follows the primary. Through Sentinel it asks them for the primary on every
 * connect, checks the role of the server it reached, and drops the connection when a Sentinel
 * announces +switch-master: a primary that hangs (paused, cut off) never closes its connections, and
 * its commands would wait for it. A command refused as READONLY met a former primary made a replica:
 * it is sent again after a reconnect, to the primary the Sentinels name then.
 */
export function createRedis(target: RedisTarget, overrides: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    // Commands wait for a reconnect instead of failing at once, but not forever: the API must answer.
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    lazyConnect: false,
  };
  if (target.redisSentinels.length === 0) return new Redis(target.redisUrl, { ...base, ...overrides });
  return new Redis(target.redisUrl, {
    ...base,
    sentinels: target.redisSentinels,
    name: target.redisMasterName,
    // ioredis types a Connector's options as unknown; it hands it the client's, Sentinels and all.
    Connector: FollowingSentinelConnector as NonNullable<RedisOptions['Connector']>,
    role: 'master',
    failoverDetector: true,
    // The new primary is there seconds after the old one went: look again soon, not after 2 s.
    retryStrategy: (times) => Math.min(times * 100, 500),
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    ...overrides,
  });
}

/**
 * QUIT, so replies on their way are read, then disconnect: with Sentinel, QUIT alone leaves the
 * failover detector's connections to the Sentinels open, and the process never exits (ioredis#1362).
 */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => {});
  redis.disconnect();
}
