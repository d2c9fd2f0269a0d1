/**
 * Do open result streams slow the apply path? Starts its own terning server (and, for the last
 * phase, a consumer) on random topics and a random Redis prefix, then measures apply latency:
 *   A. with no stream open;
 *   B. with N result streams open (N people applied and waiting, no consumer yet);
 *   C. while the consumer decides those N and the server pushes N decisions and closes N streams;
 *   D. with the consumer running and no stream left (C's baseline).
 *
 *   node --import tsx loadtest/streams.ts [--streams 2000] [--applies 2000] [--concurrency 50]
 */
import { Agent, request, get, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../core/config.ts';
import { createKafka, ensureTopics } from '../core/kafka/client.ts';
import { createLogger } from '../core/log.ts';
import { Proc, freePort, waitFor, httpReady, memoryOf } from './processes.ts';
import { mintTokens } from './tokens.ts';
import { percentile } from './stats.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const STREAMS = arg('streams', 2_000);
const APPLIES = arg('applies', 2_000);
const CONCURRENCY = arg('concurrency', 50);

const run = randomUUID().slice(0, 8);
const port = await freePort();
const env = {
  PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'development',
  REDIS_PREFIX: `streams-${run}`, KAFKA_TOPIC: `streams.applications.${run}`, KAFKA_DLQ_TOPIC: `streams.dlq.${run}`,
  KAFKA_GROUP_ID: `streams-decider-${run}`, DEFAULT_EVENT_ID: `default-${run}`,
  LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '1000', LIMIT_STATUS_CHECKS_PER_PERSON_PER_MINUTE: '1000',
};
const config = loadConfig({ ...process.env, ...env });
const base = `http://127.0.0.1:${port}`;
const admin = { 'X-ADMIN-KEY': config.adminKey, 'Content-Type': 'application/json' };
const tokens = (tag: string, n: number) => mintTokens(config.jwt, Array.from({ length: n }, (_, i) => `${tag}-${run}-${i}@streams.test`));

await ensureTopics(createKafka({ ...config.kafka, log: createLogger('streams', 'warn') }), [
  { topic: config.kafka.applicationsTopic, numPartitions: 1 }, { topic: config.kafka.deadLetterTopic },
]);
const server = new Proc('server', ['--import', 'tsx', 'bin/terning.js', 'server'], env);
let consumer: Proc | undefined;
try {
  await waitFor('the server', httpReady(`${base}/readyz`), server);

  const newEvent = async (name: string) => {
    const id = `${name}-${run}`;
    for (const [path, body] of [['/api/admin/events', { id, name, totalStock: 1_000_000 }], [`/api/admin/events/${id}/open`, {}]] as const) {
      const res = await fetch(base + path, { method: 'POST', headers: admin, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    }
    return id;
  };

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const apply = (eventId: string, token: string) => new Promise<number>((resolve, reject) => {
    const started = performance.now();
    const req = request(`${base}/api/events/${eventId}/apply`, { method: 'POST', agent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 202 ? resolve(performance.now() - started) : reject(new Error(`apply: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
  /** Applies every token at CONCURRENCY at a time; returns the latencies and the wall time. */
  const applyAll = async (eventId: string, list: string[]) => {
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < list.length) latencies.push(await apply(eventId, list[next++]!));
    }));
    return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
  };
  const summary = (name: string, r: { latencies: number[]; seconds: number }) => ({
    phase: name,
    applies: r.latencies.length,
    perSecond: Math.round(r.latencies.length / r.seconds),
    p50: +percentile(r.latencies, 0.5).toFixed(1),
    p95: +percentile(r.latencies, 0.95).toFixed(1),
    p99: +percentile(r.latencies, 0.99).toFixed(1),
    max: +r.latencies.at(-1)!.toFixed(1),
  });
  const rss = () => Math.round(memoryOf(server.pid)?.rssMb ?? 0);

  // Warm up: connections, the Kafka producer, the scripts.
  await applyAll(await newEvent('warmup'), tokens('warm', 500));
  const results = [summary('A: no streams open', await applyAll(await newEvent('baseline'), tokens('a', APPLIES)))];
  const rssBefore = rss();

  // N people apply to one event and open their result streams; nobody decides yet.
  const waitingId = await newEvent('waiting');
  const waiting = tokens('w', STREAMS);
  await applyAll(waitingId, waiting);
  const opened = performance.now();
  let decided = 0;
  let allDecided: () => void;
  const everyoneDecided = new Promise<void>((resolve) => { allDecided = resolve; });
  const streams: IncomingMessage[] = [];
  await Promise.all(waiting.map((token) => new Promise<void>((resolve, reject) => {
    const url = `${base}/api/events/${waitingId}/status/stream?access_token=${token}`;
    get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream: ${res.statusCode}`));
      streams.push(res);
      let seen = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        seen += chunk;
        if (seen.includes('"PENDING"')) resolve();
        if (/"(WON|LOST)"/.test(seen) && ++decided === STREAMS) allDecided();
      });
    }).on('error', reject);
  })));
  const openSeconds = (performance.now() - opened) / 1000;
  const rssWith = rss();

  results.push(summary(`B: ${STREAMS} streams open`, await applyAll(await newEvent('loaded'), tokens('b', APPLIES))));

  // The consumer decides the N waiting people: N pushes and N closed streams while applies go on.
  consumer = new Proc('consumer', ['--import', 'tsx', 'bin/terning.js', 'consumer'], env);
  const burstId = await newEvent('burst');
  const consumerStarted = performance.now();
  const [burst] = await Promise.all([applyAll(burstId, tokens('c', APPLIES)), everyoneDecided]);
  const pushedSeconds = (performance.now() - consumerStarted) / 1000;
  results.push(summary(`C: ${STREAMS} decisions pushed meanwhile`, burst));
  // The same with the consumer running and no stream left: what C is to be compared with.
  results.push(summary('D: consumer running, no streams', await applyAll(await newEvent('after'), tokens('d', APPLIES))));

  console.table(results);
  console.log(`${STREAMS} streams opened in ${openSeconds.toFixed(1)} s; server RSS ${rssBefore} MB -> ${rssWith} MB with them open`);
  console.log(`all ${STREAMS} decisions reached their streams ${pushedSeconds.toFixed(1)} s after the consumer was started (its start-up and group join included)`);
  for (const s of streams) s.destroy();
  agent.destroy();
} finally {
  await consumer?.stop();
  await server.stop();
}
process.exit(0);
