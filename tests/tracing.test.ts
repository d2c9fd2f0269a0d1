import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testConfig, createTopics, randomEmail, randomEventId } from './support/system.ts';
import { envFor, spawnServer } from './support/processes.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';

test('with DD_TRACE_ENABLED the server sends spans for apply, Kafka, Redis and MySQL under its own service name', async (t) => {
  // Datadog's agent is not on this machine: a listener in its place receives what dd-trace sends.
  const payloads: Buffer[] = [];
  const agent = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.includes('/traces')) payloads.push(Buffer.concat(chunks));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  const config = testConfig();
  await createTopics(config);
  const server = await spawnServer(
    envFor(config, {
      DD_TRACE_ENABLED: 'true',
      DD_TRACE_AGENT_URL: `http://127.0.0.1:${(agent.address() as AddressInfo).port}`,
      DD_TRACE_FLUSH_INTERVAL: '200',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_RUNTIME_METRICS_ENABLED: 'false',
      DD_TRACE_STARTUP_LOGS: 'false',
    }),
  );
  try {
    const admin = { adminKey: config.adminKey };
    const id = randomEventId();
    await http(server.url, 'POST', '/api/admin/events', { ...admin, body: { id, name: 'traced', totalStock: 5 } });
    await http(server.url, 'POST', `/api/admin/events/${id}/open`, admin);
    const token = await new Tokens(config.jwt).issue(randomEmail('traced'));
    t.is((await http(server.url, 'POST', `/api/events/${id}/apply`, { token })).status, 202);
    const all = await until(
      'the spans of an apply',
      async () => {
        const text = Buffer.concat(payloads).toString('latin1');
        return ['terning.apply', 'kafka.produce', 'redis.command', 'mysql.query', 'koa.request'].every((s) => text.includes(s))
          ? text
          : undefined;
      },
      20_000,
      250,
    );
    t.true(all.includes('terning-server'), 'the service name');
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    agent.close();
  }
});

test('without DD_TRACE_ENABLED nothing is sent', async (t) => {
  let received = 0;
  const agent = createServer((req, res) => {
    received++;
    req.resume();
    res.end('{}');
  });
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  const config = testConfig();
  await createTopics(config);
  const server = await spawnServer(
    envFor(config, { DD_TRACE_AGENT_URL: `http://127.0.0.1:${(agent.address() as AddressInfo).port}`, DD_TRACE_FLUSH_INTERVAL: '100' }),
  );
  try {
    t.is((await http(server.url, 'GET', '/healthz')).status, 200);
    await new Promise((r) => setTimeout(r, 500));
    t.is(received, 0);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    agent.close();
  }
});
