import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopics, testConfig, testLog } from './support/system.ts';
import { freePort } from '../infra/net.ts';
import { ApiServer } from '../server/process.ts';
import { ConsumerProcess } from '../consumer/process.ts';

/**
 * A process (re)started while a service is out (a broker down, Redis failing over) waits it out and
 * starts once it is back, instead of exiting: a supervisor's restart during a fault is no crash. The
 * random fault suite found APIs and consumers exiting 1 there. Here Redis is not there yet when each
 * process starts, and comes up two seconds later on the port they were given; for the consumer, no
 * broker answers.
 */
async function redisLater(port: number, afterMs: number): Promise<() => void> {
  let proc: ChildProcess | undefined;
  const timer = setTimeout(() => {
    proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  }, afterMs);
  return () => {
    clearTimeout(timer);
    proc?.kill('SIGKILL');
  };
}

test('an API started while Redis is down waits for it, then listens', async (t) => {
  const port = await freePort();
  const config = testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` });
  await createTopics(config);
  const stopRedis = await redisLater(port, 2_000);
  const api = new ApiServer(config, testLog());
  try {
    const started = Date.now();
    const { url } = await api.start();
    t.true(Date.now() - started >= 1_500, 'it did wait for Redis');
    t.is((await fetch(`${url}/healthz`)).status, 200);
  } finally {
    await api.stop();
    stopRedis();
  }
});

test('a consumer started while no broker answers keeps trying for START_WAIT_SECONDS, then gives up', async (t) => {
  const config = testConfig({ START_WAIT_SECONDS: '4' });
  const consumer = new ConsumerProcess(
    { ...config, kafka: { ...config.kafka, brokers: ['127.0.0.1:9'] } },
    { sendEmails: false },
    testLog(),
  );
  const started = Date.now();
  await t.throwsAsync(consumer.start());
  t.true(Date.now() - started >= 3_500, `it tried for the wait it was given (${Date.now() - started} ms)`);
});

test('asked to stop while it waits, a start gives up', async (t) => {
  const port = await freePort();
  const config = testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` });
  const api = new ApiServer(config, testLog());
  const starting = api.start();
  await sleep(1_000);
  await api.stop();
  await t.throwsAsync(starting);
});
