import { freePort } from '../infra/net.ts';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import test from 'ava';
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { databaseNames, readSesEmails, servicesDown, servicesStatus, servicesUp, terningHome, type ServiceStatus } from '../infra/index.ts';

// Serial throughout: two tests below swap process.env to run private copies of the services.
const FIRST_UP_MS = 10 * 60_000; // a first run downloads Kafka's jars from Maven Central

const byName = (statuses: ServiceStatus[]) => Object.fromEntries(statuses.map((s) => [s.name, s]));

function kafkaClient() {
  return new Kafka({
    clientId: 'infra-test',
    brokers: (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(','),
    logLevel: logLevel.ERROR,
  });
}

/** Runs `fn` with some environment variables replaced, then puts them back. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test.serial('servicesUp brings all four services up, and a second call is quick', async (t) => {
  t.timeout(FIRST_UP_MS);
  const lines: string[] = [];
  const first = byName(await servicesUp({ log: (l) => lines.push(l) }));
  t.log(lines.join('\n'));
  for (const name of ['mysql', 'redis', 'kafka', 'ses'] as const) {
    t.true(first[name].up, `${name}: ${first[name].detail}`);
  }

  const started = Date.now();
  const again = byName(await servicesUp());
  t.true(Date.now() - started < 5000, `second servicesUp took ${Date.now() - started} ms`);
  t.deepEqual(
    Object.values(again).map((s) => [s.name, s.up, s.managed]),
    Object.values(first).map((s) => [s.name, s.up, s.managed]),
  );
});

test.serial('servicesStatus reports all four and changes nothing', async (t) => {
  const before = await servicesStatus();
  t.deepEqual(
    before.map((s) => s.name),
    ['mysql', 'redis', 'kafka', 'ses'],
  );
  t.true(before.every((s) => s.up));
  t.deepEqual(
    (await servicesStatus()).map((s) => [s.name, s.up, s.managed]),
    before.map((s) => [s.name, s.up, s.managed]),
  );
});

test.serial('the database MYSQL_URL names and its _test twin exist', async (t) => {
  const url = new URL(process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/terning');
  const names = databaseNames();
  t.deepEqual(names, [url.pathname.slice(1), `${url.pathname.slice(1)}_test`]);
  const conn = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: url.username || 'root',
    password: url.password,
  });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)',
      [names],
    );
    t.deepEqual(rows.map((r) => r.name).sort(), [...names].sort());
  } finally {
    await conn.end();
  }
});

test.serial('kafka: one message produced on a new topic is consumed', async (t) => {
  t.timeout(60_000);
  const kafka = kafkaClient();
  const topic = `infra-test-${randomUUID()}`;
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `infra-test-${randomUUID()}` });
  await admin.connect();
  try {
    t.true(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }));
    await producer.connect();
    const value = `hello ${randomUUID()}`;
    await producer.send({ topic, messages: [{ key: 'k', value }] });

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
    t.is(await received, value);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.serial('ses: a sent email can be read back from the emulator store', async (t) => {
  const ses = new SESv2Client({
    endpoint: process.env.SES_ENDPOINT || 'http://127.0.0.1:8005',
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const since = Math.floor(Date.now() / 1000);
  const subject = `infra test ${randomUUID()}`;
  const sent = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: 'gift@terning.local',
      Destination: { ToAddresses: ['winner@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: subject },
          Body: { Text: { Data: 'your code is 123456' }, Html: { Data: '<p>your code is <b>123456</b></p>' } },
        },
      },
    }),
  );
  t.truthy(sent.MessageId);

  const stored = (await readSesEmails(since)).find((e) => e.messageId === sent.MessageId);
  t.like(stored, {
    from: 'gift@terning.local',
    destination: { to: ['winner@example.com'], cc: [], bcc: [] },
    subject,
    body: { text: 'your code is 123456', html: '<p>your code is <b>123456</b></p>' },
  });
  t.true(stored!.at >= since && stored!.at <= Math.ceil(Date.now() / 1000));
});

test.serial('kafka: topics and messages survive servicesDown and servicesUp (private broker)', async (t) => {
  t.timeout(FIRST_UP_MS);
  const sharedLibs = join(terningHome(), 'kafka', 'libs');
  const home = mkdtempSync(join(tmpdir(), 'terning-infra-'));
  // Reuse the jars already fetched rather than copying 46 MB again.
  if (existsSync(sharedLibs)) {
    mkdirSync(join(home, 'kafka'), { recursive: true });
    symlinkSync(sharedLibs, join(home, 'kafka', 'libs'));
  }
  // A broker of its own, so restarting it cannot disturb other test files using the shared one.
  await withEnv({ TERNING_HOME: home, KAFKA_BROKERS: `127.0.0.1:${await freePort(true)}` }, async () => {
    try {
      t.like(byName(await servicesUp({ only: ['kafka'] })).kafka, { up: true, managed: true });
      const kafka = kafkaClient();
      const topic = 'survivor';
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'still here' }] });
      await producer.disconnect();

      t.like(byName(await servicesDown({ only: ['kafka'] })).kafka, { up: false, managed: false });
      t.like(byName(await servicesUp({ only: ['kafka'] })).kafka, { up: true, managed: true });

      const admin2 = kafka.admin();
      await admin2.connect();
      t.true((await admin2.listTopics()).includes(topic));
      t.deepEqual(await admin2.fetchTopicOffsets(topic), [{ partition: 0, offset: '1', high: '1', low: '0' }]);
      await admin2.disconnect();
    } finally {
      await servicesDown({ only: ['kafka'] });
      rmSync(home, { recursive: true, force: true });
    }
  });
});

test.serial('starts its own MariaDB and Redis when nothing answers, and stops only those', async (t) => {
  t.timeout(120_000);
  const home = mkdtempSync(join(tmpdir(), 'terning-infra-'));
  const [mysqlPort, redisPort] = [await freePort(), await freePort()];
  await withEnv(
    {
      TERNING_HOME: home,
      MYSQL_URL: `mysql://root@127.0.0.1:${mysqlPort}/shop`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    },
    async () => {
      try {
        const up = byName(await servicesUp({ only: ['mysql', 'redis'] }));
        t.like(up.mysql, { up: true, managed: true });
        t.like(up.redis, { up: true, managed: true });

        const conn = await mysql.createConnection({ host: '127.0.0.1', port: mysqlPort, user: 'root' });
        const [rows] = await conn.query<mysql.RowDataPacket[]>("SHOW DATABASES LIKE 'shop%'");
        await conn.end();
        t.deepEqual(rows.map((r) => Object.values(r)[0]).sort(), ['shop', 'shop_test']);

        const redis = new Redis(process.env.REDIS_URL!);
        await redis.set('kept', 'yes');
        redis.disconnect();

        const down = byName(await servicesDown());
        t.like(down.mysql, { up: false, managed: false });
        t.like(down.redis, { up: false, managed: false });
        // Not ours in this home: the shared broker and emulator are left running.
        t.like(down.kafka, { up: true, managed: false });
        t.like(down.ses, { up: true, managed: false });

        // Append-only file: what Redis held before the stop is there after the start.
        await servicesUp({ only: ['redis'] });
        const again = new Redis(process.env.REDIS_URL!);
        t.is(await again.get('kept'), 'yes');
        again.disconnect();
      } finally {
        await servicesDown({ only: ['mysql', 'redis'] });
        rmSync(home, { recursive: true, force: true });
      }
    },
  );
});
