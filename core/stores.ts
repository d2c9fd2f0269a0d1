import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Config } from './config.ts';
import { createRedis } from './redis/client.ts';
import { Scripts } from './redis/scripts.ts';
import { createSequelize } from './db/sequelize.ts';
import { EventsRepo } from './db/events-repo.ts';
import { ApplicationsRepo } from './db/applications-repo.ts';
import { Events } from './events/events.ts';
import { Restorer } from './reconcile/restore.ts';

/** Redis and MySQL with everything built on them: what the server, the consumer and the CLI share. */
export interface Stores {
  redis: Redis;
  scripts: Scripts;
  sequelize: Sequelize;
  records: ApplicationsRepo;
  events: Events;
  restorer: Restorer;
  close(): Promise<void>;
}

export function openStores(config: Config): Stores {
  const redis = createRedis(config.redisUrl);
  const scripts = new Scripts(redis, config.redisPrefix);
  const sequelize = createSequelize(config.mysqlUrl);
  const records = new ApplicationsRepo(sequelize);
  const restorer = new Restorer(sequelize, scripts);
  const events = new Events(new EventsRepo(sequelize), records, scripts, restorer);
  return {
    redis, scripts, sequelize, records, events, restorer,
    async close() {
      await Promise.allSettled([redis.quit(), sequelize.close()]);
    },
  };
}
