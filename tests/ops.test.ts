import test from 'ava';
import { spawn } from 'node:child_process';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig, createTopics, randomEmail, randomEventId, testLog } from './support/system.ts';
import { envFor, spawnServer } from './support/processes.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import { createKafka } from '../core/adapters/kafka/client.ts';
import { decodeApplications } from '../core/adapters/kafka/codec.ts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

async function openEvent(url: string, adminKey: string, stock: number) {
  const id = randomEventId();
  await http(url, 'POST', '/api/admin/events', { adminKey, body: { id, name: 'ops', totalStock: stock } });
  await http(url, 'POST', `/api/admin/events/${id}/open`, { adminKey });
  return id;
}

test('healthz, readyz and metrics of a running server', async (t) => {
  const config = testConfig();
  await createTopics(config);
  const server = await spawnServer(envFor(config));
  try {
    t.deepEqual((await http(server.url, 'GET', '/healthz')).body, { status: 'ok' });
    const ready = await http(server.url, 'GET', '/readyz');
    t.is(ready.status, 200);
    t.deepEqual(ready.body, { ready: true });
    const told = await http(server.url, 'GET', '/readyz', { adminKey: config.adminKey });
    t.deepEqual(told.body, { ready: true, checks: { api: 'ok', redis: 'ok', mysql: 'ok', kafka: 'ok' } });
    const guessed = await http(server.url, 'GET', '/readyz', { adminKey: 'not-the-key' });
    t.is(guessed.status, 401, 'a wrong key is refused as on any admin route');
    const id = await openEvent(server.url, config.adminKey, 1);
    const tokens = new Tokens(config.jwt);
    t.is((await http(server.url, 'POST', `/api/events/${id}/apply`, { token: await tokens.issue(randomEmail('m')) })).status, 202);
    await http(server.url, 'POST', `/api/events/${id}/apply`, { token: 'bad' });
    // One port serves everything here (no ADMIN_PORT): /metrics is the operator's, behind the key.
    const refused = await http(server.url, 'GET', '/metrics');
    t.is(refused.status, 401);
    t.is(refused.body.error.code, 'ADMIN_KEY_INVALID');
    const metrics = String((await http(server.url, 'GET', '/metrics', { adminKey: config.adminKey })).body);
    const sample = (name: string, label = '') =>
      new RegExp(
        `^${name}\\{[^}]*${label}[^}]*service="terning-server"[^}]*\\} (\\d+)$|^${name}\\{[^}]*service="terning-server"[^}]*${label}[^}]*\\} (\\d+)$`,
        'm',
      );
    const value = (name: string, label = '') => {
      const m = sample(name, label).exec(metrics);
      return Number(m?.[1] ?? m?.[2] ?? NaN);
    };
    t.is(value('terning_applies_total', 'outcome="won"'), 1);
    t.false(sample('terning_applies_total', 'outcome="token_invalid"').test(metrics), 'a refused token never reaches apply');
    t.is(value('terning_apply_duration_seconds_count'), 1);
    t.true(value('terning_kafka_batch_size_count') >= 1);
    t.true(value('terning_kafka_send_duration_seconds_count', 'result="ok"') >= 1);
    t.regex(metrics, /process_resident_memory_bytes/);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

test('readyz answers 503 when Redis goes away, naming it to the operator, the log and the metrics only; the server stays up', async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'terning-redis-'));
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  await until('the private redis', async () =>
    (await fetch(`http://127.0.0.1:${port}`).catch((e) => e)) instanceof Error ? true : undefined,
  );
  const config = testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` });
  await createTopics(config);
  // /metrics on the admin port, as production has it: there it needs no key, which Redis would check.
  const server = await spawnServer(envFor(config, { ADMIN_PORT: '0' }));
  const adminUrl = JSON.parse(await server.waitFor(/api listening/)).adminUrl as string;
  try {
    t.is((await http(server.url, 'GET', '/readyz')).status, 200);
    redis.kill('SIGKILL');
    const down = await until('readyz to notice', async () => {
      const r = await http(server.url, 'GET', '/readyz');
      return r.status === 503 ? r : undefined;
    });
    t.deepEqual(down.body, { ready: false }, 'no stranger learns what is inside');
    const told = await http(server.url, 'GET', '/readyz', { adminKey: config.adminKey });
    t.is(told.status, 503);
    t.false(told.body.ready);
    t.not(told.body.checks.redis, 'ok');
    t.is(told.body.checks.mysql, 'ok');
    t.is(told.body.checks.kafka, 'ok');
    const warned = await server.waitFor(/"msg":"not ready"/);
    t.not(JSON.parse(warned).checks.redis, 'ok');
    const metrics = String((await http(adminUrl, 'GET', '/metrics')).body);
    t.regex(metrics, /^terning_ready\{[^}]*check="redis"[^}]*\} 0$/m);
    t.regex(metrics, /^terning_ready\{[^}]*check="mysql"[^}]*\} 1$/m);
    t.is((await http(server.url, 'GET', '/healthz')).status, 200, 'alive, just not ready');
    const token = await new Tokens(config.jwt).issue(randomEmail('outage'));
    const status = await http(server.url, 'GET', '/api/event/status', { token });
    t.is(status.status, 503, 'an outage is a 503 to retry, not a 500');
    t.truthy(status.headers.get('retry-after'));
    t.is(typeof status.body.error.code, 'string');
  } finally {
    redis.kill('SIGKILL');
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

test('on SIGTERM the server answers what it took, flushes Kafka, and exits 0: every 202 is in the topic', async (t) => {
  const config = testConfig({ LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '1000' });
  await createTopics(config);
  const server = await spawnServer(envFor(config));
  const id = await openEvent(server.url, config.adminKey, 10_000);
  const tokens = new Tokens(config.jwt);
  const people = await Promise.all(
    Array.from({ length: 300 }, async () => {
      const email = randomEmail('drain');
      return { email, token: await tokens.issue(email) };
    }),
  );
  const answers: { email: string; status: number | 'refused' }[] = [];
  const burst = Promise.all(
    people.map(async (p, i) => {
      await new Promise((r) => setTimeout(r, i % 50));
      try {
        const res = await fetch(`${server.url}/api/events/${id}/apply`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${p.token}` },
        });
        answers.push({ email: p.email, status: res.status });
        await res.arrayBuffer();
      } catch {
        answers.push({ email: p.email, status: 'refused' });
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 20));
  server.child.kill('SIGTERM');
  await burst;
  const exit = await server.exited;
  t.is(exit.code, 0, server.output.slice(-5).join('\n'));
  t.true(server.output.some((l) => /api stopped/.test(l)));
  const accepted = answers.filter((a) => a.status === 202).map((a) => a.email);
  t.true(
    answers.every((a) => a.status === 202 || a.status === 'refused'),
    `no other answers: ${JSON.stringify(answers.filter((a) => a.status !== 202 && a.status !== 'refused').slice(0, 3))}`,
  );
  t.true(accepted.length > 0, 'some applications were taken before the signal');

  const kafka = createKafka({ ...config.kafka, log: testLog() });
  const consumer = kafka.consumer({ groupId: `${config.kafka.groupId}-check` });
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.applicationsTopic, fromBeginning: true });
  const inTopic = new Set<string>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      for (const a of decodeApplications(message.value)) inTopic.add(a.email);
    },
  });
  await until('every accepted application in Kafka', async () => (accepted.every((e) => inTopic.has(e)) ? true : undefined), 20_000).catch(
    () => {},
  );
  await consumer.disconnect();
  t.deepEqual(
    accepted.filter((e) => !inTopic.has(e)),
    [],
    'no 202 without its message in Kafka',
  );
});
