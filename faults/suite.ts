import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../core/platform/config.ts';
import { createLogger } from '../core/platform/log.ts';
import { openStores } from '../core/stores.ts';
import { createKafka, ensureTopics } from '../core/adapters/kafka/client.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import { migrate } from '../cli/commands/migrate.ts';
import { ROOT } from '../core/platform/root.ts';
import { freePort } from '../infra/net.ts';
import { FaultServices } from './services.ts';
import { TerningProcess } from './processes.ts';
import { burst } from './burst.ts';
import { checkDeadLetters, checkEvent, settle, type CheckContext } from './check.ts';
import { FAULTS, type Harness } from './faults.ts';
import { CLUSTER_FAULTS } from './cluster-faults.ts';
import { PersistenceWatch } from './progress.ts';
import { addOutcome, addRefused, addResumed, emptyRow, type Row } from './table.ts';

export interface SuiteOptions {
  rounds: number;
  applicants: number;
  /** Only the faults whose name contains one of these. */
  only?: string[];
  /** The production topology (three Kafka brokers, Redis with a replica and three Sentinels) and its faults. */
  cluster?: boolean;
  log?: (line: string) => void;
}

export interface SuiteResult { rows: Row[]; deadLetters: { letters: number; unaccounted: number }; notes: string[] }

/** As production runs: two API processes, two consumers in one group, four partitions. */
const APIS = 2;
const CONSUMERS = 2;
const PARTITIONS = 4;

/**
 * The fault suite: its own Kafka, Redis and MariaDB; real API and consumer processes (bin/terning.js)
 * on random topics, group and prefix; for every fault kind, `rounds` bursts of applicants with the
 * fault injected in the middle of each, then every promise checked and the time until persistence
 * resumed after the fault taken.
 */
export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const log = o.log ?? (() => {});
  const services = await FaultServices.up(log, { cluster: o.cluster });
  const id = randomUUID().slice(0, 8);
  // The processes' logs outlive the services' home, for a look after a failed run.
  const logs = join(ROOT, 'artifacts', `faults-${id}`);
  mkdirSync(logs, { recursive: true });
  log(`process logs in ${logs}`);
  const processEnv: Record<string, string> = {
    ...services.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'info', // 'api listening' and 'consumer running' are info lines
    KAFKA_TOPIC: `faults.applications.${id}`,
    KAFKA_DLQ_TOPIC: `faults.dlq.${id}`,
    KAFKA_GROUP_ID: `faults-decider-${id}`,
    REDIS_PREFIX: `faults-${id}`,
    DEFAULT_EVENT_ID: `faults-default-${id}`,
    // One person retries through every fault: the per-person limit is not what is tested here.
    LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '100000',
    LIMIT_STATUS_CHECKS_PER_PERSON_PER_MINUTE: '100000',
    // Winner emails go to the machine's SES emulator (it is only used, never stopped).
    SES_RATE_PER_SECOND: '50',
    // The consumer's metrics listener on a free port, beside anyone else's consumer.
    METRICS_PORT: '0',
    // Reservations Kafka never got (an API killed before its send) go back within seconds, so that the
    // suite sees them given back rather than waiting the production 30 s.
    RESERVATION_TIMEOUT_SECONDS: '5',
  };
  const config = loadConfig({ ...process.env, ...processEnv });
  const quiet = createLogger('faults', 'silent');
  const apis: TerningProcess[] = [];
  const consumers: TerningProcess[] = [];
  // Redis is killed on purpose: the suite's own reads retry, and its client's errors are expected.
  const stores = openStores(config, quiet);
  const kafka = createKafka({ ...config.kafka, clientId: 'terning-faults', log: quiet });
  const rows: Row[] = [];
  const notes: string[] = [];
  let poison = 0;
  try {
    await migrate('up', () => {});
    await ensureTopics(kafka, [{ topic: config.kafka.applicationsTopic, numPartitions: PARTITIONS }, { topic: config.kafka.deadLetterTopic }]);
    if (o.cluster) log(`applications topic: ${await replicas(kafka, config.kafka.applicationsTopic)}`);
    const urls: string[] = [];
    for (let i = 0; i < APIS; i++) {
      const port = await freePort();
      const api = new TerningProcess('server', { ...processEnv, PORT: String(port) }, join(logs, `api-${i}.log`));
      apis.push(api);
      urls.push(`http://127.0.0.1:${port}`);
      await api.start();
    }
    for (let i = 0; i < CONSUMERS; i++) {
      const consumer = new TerningProcess('consumer', processEnv, join(logs, `consumer-${i}.log`));
      consumers.push(consumer);
      await consumer.start();
    }
    const h: Harness = { services, apis, consumers, config, kafka, log };
    const ctx: CheckContext = { config, stores, kafka };
    const tokens = new Tokens(config.jwt);
    const admin = { 'X-ADMIN-KEY': config.adminKey, 'Content-Type': 'application/json' };

    const faults = (o.cluster ? CLUSTER_FAULTS : FAULTS).filter((f) => !o.only?.length || o.only.some((s) => f.name.includes(s)));
    for (const fault of faults) {
      const row = emptyRow(fault.name);
      rows.push(row);
      for (let r = 0; r < o.rounds; r++) {
        for (const p of [...apis, ...consumers]) if (!p.running) {
          notes.push(`${fault.name}: a ${p.kind} had exited on its own before round ${r + 1}; restarted`);
          await p.start();
        }
        // Every broker registered and a replica in sync under the Sentinels: each round meets the whole topology.
        if (o.cluster) await services.start('redis', 'kafka');
        const eventId = `faults-${randomUUID().slice(0, 10)}`;
        // Fewer gifts than people, then more, then about half: both over- and undersell show, and the
        // stock lasts into the fault in most rounds.
        const stock = [Math.max(1, Math.floor(o.applicants * 0.6)), o.applicants + 7, Math.max(1, Math.floor(o.applicants / 2))][r % 3]!;
        const created = await fetch(`${urls[1]}/api/admin/events`, { method: 'POST', headers: admin, body: JSON.stringify({ id: eventId, name: eventId, totalStock: stock }) });
        if (created.status !== 201) throw new Error(`creating ${eventId}: ${created.status} ${await created.text()}`);
        const opened = await fetch(`${urls[1]}/api/admin/events/${eventId}/open`, { method: 'POST', headers: admin, body: '{}' });
        if (opened.status !== 200) throw new Error(`opening ${eventId}: ${opened.status} ${await opened.text()}`);
        // Canonical addresses (core/use-cases/participant/identity.ts): each is its own person.
        const people = await Promise.all(Array.from({ length: o.applicants }, async () => {
          const email = `f-${randomUUID().slice(0, 12)}@example.test`;
          return { email, token: await tokens.issue(email) };
        }));

        await fault.prepare?.(h);
        const started = Date.now();
        const watch = new PersistenceWatch(kafka, config.kafka.applicationsTopic, config.kafka.groupId);
        watch.start();
        const running = burst({ urls: () => urls, eventId, people, spreadMs: fault.spreadMs ?? 5_000, deadlineMs: 120_000, abandons: fault.abandons ? (i) => i % 4 === 0 : undefined });
        await sleep(800);
        const injected = await fault.inject(h, eventId);
        const b = await running;
        row.injected += injected.injected;
        poison += injected.poison ?? 0;
        const settled = await settle(ctx, eventId, b, 180_000);
        const resumedMs = await watch.stop(injected.endedAt);
        const outcome = await checkEvent(ctx, eventId, stock, b);
        row.rounds++;
        addOutcome(row, outcome);
        addResumed(row, resumedMs);
        const refusedMs = refusedFor(b.refusals);
        addRefused(row, refusedMs);
        const retried = [...b.retried].map(([k, n]) => `${k}×${n}`).join(' ');
        const resumedText = `, persistence ${resumedMs === null ? 'STALLED still' : `resumed ${(resumedMs / 1000).toFixed(1)} s after the fault`}`;
        const refusedText = refusedMs ? `, applies refused (503) for ${(refusedMs / 1000).toFixed(1)} s` : '';
        log(`${fault.name} #${r + 1}: stock ${stock}, ${b.won.size} won, ${b.soldOut.size} sold out, ${b.unanswered.size} unanswered${retried ? `, retried ${retried}` : ''}${injected.detail ? `, ${injected.detail}` : ''}${refusedText}${resumedText}; ${settled ? 'settled' : 'NOT SETTLED'} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        for (const n of outcome.notes) {
          notes.push(`${fault.name} #${r + 1}: ${n}`);
          log(`  ${n}`);
        }
      }
    }
    await sleep(2_000);
    const dl = await checkDeadLetters(ctx, poison);
    notes.push(...dl.notes);
    return { rows, deadLetters: { letters: dl.letters, unaccounted: dl.unaccounted }, notes };
  } finally {
    await Promise.allSettled([...apis, ...consumers].map((p) => p.stop(5_000)));
    for (const p of [...apis, ...consumers]) p.close();
    await stores.close();
    await services.down();
  }
}

/** From the first apply answered 503 (when it was sent) to the last (when it was answered); 0 for none. */
function refusedFor(refusals: { from: number; to: number }[]): number {
  if (refusals.length === 0) return 0;
  return Math.max(...refusals.map((r) => r.to)) - Math.min(...refusals.map((r) => r.from));
}

/** kafkajs's ConfigResourceTypes.TOPIC, which Node can't import by name from its CommonJS build. */
const TOPIC = 2;

/** "4 partitions, 3 replicas each, min.insync.replicas 2": what a cluster's topic must be, said once. */
/** The topic's replication, as the brokers report it; asked again for 15 s while a broker doesn't know the new topic yet. */
async function replicas(kafka: Kafka, topic: string): Promise<string> {
  for (const until = Date.now() + 15_000; ;) {
    try {
      return await replicasOnce(kafka, topic);
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function replicasOnce(kafka: Kafka, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = topics[0]?.partitions ?? [];
    const counts = [...new Set(partitions.map((p) => p.replicas.length))];
    const config = await admin.describeConfigs({ resources: [{ type: TOPIC, name: topic, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
    const minInsync = config.resources[0]?.configEntries[0]?.configValue;
    if (counts.length !== 1 || counts[0]! < 3 || minInsync !== '2') throw new Error(`${topic}: replicas ${counts.join('/')}, min.insync.replicas ${minInsync}; the cluster suite needs 3 and 2`);
    return `${partitions.length} partitions, ${counts[0]} replicas each, min.insync.replicas ${minInsync}`;
  } finally {
    await admin.disconnect();
  }
}
