import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';

/**
 * With a Docker engine, the tests get their own MySQL 8, Redis 7 and Kafka 3.9 in containers; without
 * one (as on the CI machines) this returns null and the local services are used.
 */
export async function startContainers(): Promise<{ env: Record<string, string>; stop: () => Promise<void> } | null> {
  if (process.env.TERNING_TEST_CONTAINERS === '0') return null;
  try {
    await getContainerRuntimeClient();
  } catch {
    return null;
  }
  const started: StartedTestContainer[] = [];
  const mysql = await new GenericContainer('mysql:8.4')
    .withEnvironment({ MYSQL_ALLOW_EMPTY_PASSWORD: 'yes', MYSQL_DATABASE: 'terning' })
    .withExposedPorts(3306)
    .withWaitStrategy(Wait.forLogMessage(/ready for connections.*port: 3306/))
    .start();
  started.push(mysql);
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  started.push(redis);
  const kafkaPort = 19092;
  const kafka = await new GenericContainer('apache/kafka:3.9.1')
    .withExposedPorts({ container: kafkaPort, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://:${kafkaPort},CONTROLLER://:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  started.push(kafka);
  return {
    env: {
      MYSQL_URL: `mysql://root@${mysql.getHost()}:${mysql.getMappedPort(3306)}/terning`,
      REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    },
    stop: async () => {
      await Promise.allSettled(started.map((c) => c.stop()));
    },
  };
}
