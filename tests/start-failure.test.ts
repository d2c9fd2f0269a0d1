import test from 'ava';
import { ApiServer } from '../server/process.ts';
import { ConsumerProcess } from '../consumer/process.ts';
import { createSequelize, ensureDatabase } from '../core/adapters/mysql/sequelize.ts';
import { createTopics, rand, testConfig, testLog } from './support/system.ts';
import { until } from './support/wait.ts';

// A process whose start() fails (here: a database without its tables, as before `terning migrate`)
// must not leave its connections open behind the error: a caller that gives up on it, or a test, would
// otherwise never exit, its Redis client reconnecting forever.
const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

test.serial('an API or a consumer whose start() fails closes every connection it had opened', async (t) => {
  const url = new URL(testConfig().mysqlUrl);
  url.pathname = `/terning_unmigrated_${rand()}`;
  await ensureDatabase(url.toString());
  const config = testConfig({ MYSQL_URL: url.toString(), METRICS_PORT: '0' });
  await createTopics(config);
  try {
    const before = sockets();
    await t.throwsAsync(new ApiServer(config, testLog()).start(), { message: /doesn't exist/ });
    await until("the API's connections closed", async () => (sockets() <= before ? true : undefined), 15_000).catch(() => undefined);
    t.is(sockets(), before, 'no socket left open by the API that failed to start');

    // The consumer meets the missing tables on its first query: made to fail by a broker that is not
    // there instead, an outage it would wait out (start-outage.test.ts) but for a wait of 0.
    const consumer = new ConsumerProcess(
      { ...config, startWaitMs: 0, kafka: { ...config.kafka, brokers: ['127.0.0.1:9'] } },
      {},
      testLog(),
    );
    await t.throwsAsync(consumer.start());
    await until("the consumer's connections closed", async () => (sockets() <= before ? true : undefined), 15_000).catch(() => undefined);
    t.is(sockets(), before, 'no socket left open by the consumer that failed to start');
  } finally {
    const db = createSequelize(testConfig().mysqlUrl, { pool: 1 });
    await db.query(`DROP DATABASE IF EXISTS \`${url.pathname.slice(1)}\``).finally(() => db.close());
  }
});
