import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Config } from './platform/config.ts';
import { createLogger, type Logger } from './platform/log.ts';
import { closeRedis, createRedis } from './adapters/redis/client.ts';
import { Scripts } from './adapters/redis/scripts.ts';
import { RestoreScripts } from './adapters/redis/restore-scripts.ts';
import { createSequelize } from './adapters/mysql/sequelize.ts';
import { EventsRepo } from './adapters/mysql/events-repo.ts';
import { ApplicationsRepo } from './adapters/mysql/applications-repo.ts';
import { Events } from './use-cases/operator/events.ts';
import { createKafka } from './adapters/kafka/client.ts';
import { TopicOffsets } from './adapters/kafka/offsets.ts';
import { MysqlState } from './adapters/mysql/mysql-state.ts';
import { RedisState } from './adapters/redis/event-state.ts';
import { RedisRestarts } from './adapters/redis/restarts.ts';
import { Restorer } from './use-cases/persistence/restorer.ts';

/** Redis and MySQL with everything built on them: what the server, the consumer and the CLI share. */
export interface Stores {
  redis: Redis;
  scripts: Scripts;
  sequelize: Sequelize;
  records: ApplicationsRepo;
  events: Events;
  /** Rebuilds events in Redis from MySQL after Redis lost them; reads the applications topic's offsets. */
  restorer: Restorer;
  /** The applications topic's end offsets and the consumer group's progress on it. */
  offsets: TopicOffsets;
  /** What MySQL holds about events and their winners, read-only. */
  mysql: MysqlState;
  /** What the sweeper and reconcile read of events in Redis, outside the scripts. */
  redisState: RedisState;
  close(): Promise<void>;
}

export function openStores(config: Config, log: Logger = createLogger('terning', config.logLevel)): Stores {
  const redis = createRedis(config);
  // ioredis reconnects by itself; without a listener it prints every failed attempt as unhandled.
  let lastWarned = 0;
  redis.on('error', (err) => {
    if (Date.now() - lastWarned < 5_000) return;
    lastWarned = Date.now();
    log.warn({ err }, 'redis connection error (reconnecting)');
  });
  const scripts = new Scripts(redis, config.redisPrefix, { confirmReplicas: config.redisConfirmReplicas });
  const sequelize = createSequelize(config.mysqlUrl);
  const records = new ApplicationsRepo(sequelize);
  const kafka = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-offsets`, log });
  const offsets = new TopicOffsets(kafka, config.kafka.applicationsTopic, config.kafka.groupId);
  const restoreScripts = new RestoreScripts(redis, config.redisPrefix);
  const mysql = new MysqlState(sequelize);
  const restorer = new Restorer(restoreScripts, mysql, records, offsets, log);
  const events = new Events(new EventsRepo(sequelize), scripts, restoreScripts, restorer);
  return {
    redis,
    scripts,
    sequelize,
    records,
    events,
    restorer,
    offsets,
    mysql,
    redisState: new RedisState(redis, config.redisPrefix),
    async close() {
      await restorer.stop();
      await offsets.close();
      await Promise.allSettled([closeRedis(redis), sequelize.close()]);
    },
  };
}

/** The stores' part of a process's readiness (core/platform/health.ts): each answers on its own. */
export const storeChecks = (stores: Stores) => ({
  redis: () => stores.redis.ping(),
  mysql: () => stores.sequelize.query('SELECT 1'),
});

/**
 * What an API or a consumer process does when Redis restarts or fails over (a new run_id): the first
 * process to see it marks every event restoring (core/adapters/redis/restarts.ts).
 */
export const followRedisRestarts = (stores: Stores, config: Config, log: Logger) =>
  new RedisRestarts(stores.redis, config.redisPrefix, () => stores.restorer.restoreAll(), log);
