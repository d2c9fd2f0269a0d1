import { join } from 'node:path';
import { terningHome } from './paths.ts';

const several = (list: string | undefined) => (list ?? '').split(',').filter((b) => b.trim()).length > 1;

/**
 * The production topology on this machine (`terning services up --cluster`): three Kafka brokers, and
 * Redis with two replicas and three Sentinels, under a home of their own beside the development services'
 * (whose single broker and Redis keep their ports). Addresses already given for a cluster are kept. A
 * win is announced once a replica holds its confirm (REDIS_CONFIRM_REPLICAS, infra/redis.ts).
 */
export function clusterEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const given = env.REDIS_SENTINELS && env.REDIS_URL;
  return {
    TERNING_HOME: join(terningHome(), 'cluster'),
    KAFKA_BROKERS: several(env.KAFKA_BROKERS) ? env.KAFKA_BROKERS! : '127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096',
    REDIS_URL: given ? env.REDIS_URL! : 'redis://127.0.0.1:16379',
    REDIS_SENTINELS: given ? env.REDIS_SENTINELS! : '127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381',
    REDIS_CONFIRM_REPLICAS: env.REDIS_CONFIRM_REPLICAS || '1',
  };
}
