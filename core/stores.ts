import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { closeRedis, createRedis } from './redis/client.ts';
import { Scripts } from './redis/scripts.ts';
import { RestoreScripts } from './redis/restore-scripts.ts';
import { createSequelize } from './db/sequelize.ts';
import { EventsRepo } from './db/events-repo.ts';
import { ApplicationsRepo } from './db/applications-repo.ts';
import { Events } from './events/events.ts';
import { createKafka } from './kafka/client.ts';
import { TopicOffsets } from './kafka/offsets.ts';
import { MysqlState } from './restore/mysql-state.ts';
import { Restorer } from './restore/restorer.ts';

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
  const scripts = new Scripts(redis, config.redisPrefix);
  const sequelize = createSequelize(config.mysqlUrl);
  const records = new ApplicationsRepo(sequelize);
  const kafka = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-offsets`, log });
  const offsets = new TopicOffsets(kafka, config.kafka.applicationsTopic, config.kafka.groupId);
  const restoreScripts = new RestoreScripts(redis, config.redisPrefix);
  const mysql = new MysqlState(sequelize);
  const restorer = new Restorer(restoreScripts, mysql, offsets, log);
  const events = new Events(new EventsRepo(sequelize), scripts, restoreScripts, restorer);
  return {
    redis, scripts, sequelize, records, events, restorer, offsets, mysql,
    async close() {
      await restorer.stop();
      await offsets.close();
      await Promise.allSettled([closeRedis(redis), sequelize.close()]);
    },
  };
}
