import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import { startTopology } from './topology.ts';
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
  /** The production topology (three Kafka brokers, Redis with two replicas and three Sentinels) and its faults. */
  cluster?: boolean;
  log?: (line: string) => void;
}

export interface SuiteResult {
  rows: Row[];
  deadLetters: { letters: number; unaccounted: number };
  notes: string[];
  /** API and consumer processes that exited on their own: each fails the run. */
  crashes: number;
}

/**
 * The fault suite: its own Kafka, Redis and MariaDB; real API and consumer processes (bin/terning.js)
 * on random topics, group and prefix; for every fault kind, `rounds` bursts of applicants with the
 * fault injected in the middle of each, then every promise checked and the time until persistence
 * resumed after the fault taken.
 */
export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const log = o.log ?? (() => {});
  const t = await startTopology({ cluster: o.cluster, log });
  const { services, apis, consumers, urls, config, kafka, stores } = t;
  const rows: Row[] = [];
  const notes: string[] = [];
  let poison = 0;
  try {
    if (o.cluster) log(`applications topic: ${await replicas(kafka, config.kafka.applicationsTopic)}`);
    const h: Harness = { services, apis, consumers, config, kafka, log };
    const ctx: CheckContext = { config, stores, kafka };
    const tokens = new Tokens(config.jwt);
    const admin = { 'X-ADMIN-KEY': config.adminKey, 'Content-Type': 'application/json' };

    const faults = (o.cluster ? CLUSTER_FAULTS : FAULTS).filter((f) => !o.only?.length || o.only.some((s) => f.name.includes(s)));
    for (const fault of faults) {
      const row = emptyRow(fault.name);
      rows.push(row);
      for (let r = 0; r < o.rounds; r++) {
        // A process that died on its own is a crash, and fails the run; it is started again for the rounds after.
        for (const p of [...apis, ...consumers])
          if (!p.running) {
            notes.push(
              `${fault.name}: a ${p.kind} had exited on its own before round ${r + 1}: ${JSON.stringify(p.crashes.at(-1))}; restarted`,
            );
            await p.start();
          }
        // Every broker registered and a replica in sync under the Sentinels: each round meets the whole topology.
        if (o.cluster) await services.start('redis', 'kafka');
        const eventId = `faults-${randomUUID().slice(0, 10)}`;
        // Fewer gifts than people, then more, then about half: both over- and undersell show, and the
        // stock lasts into the fault in most rounds.
        const stock = [Math.max(1, Math.floor(o.applicants * 0.6)), o.applicants + 7, Math.max(1, Math.floor(o.applicants / 2))][r % 3]!;
        const created = await fetch(`${urls[1]}/api/admin/events`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ id: eventId, name: eventId, totalStock: stock }),
        });
        if (created.status !== 201) throw new Error(`creating ${eventId}: ${created.status} ${await created.text()}`);
        const opened = await fetch(`${urls[1]}/api/admin/events/${eventId}/open`, { method: 'POST', headers: admin, body: '{}' });
        if (opened.status !== 200) throw new Error(`opening ${eventId}: ${opened.status} ${await opened.text()}`);
        // Canonical addresses (core/use-cases/participant/identity.ts): each is its own person.
        const people = await Promise.all(
          Array.from({ length: o.applicants }, async () => {
            const email = `f-${randomUUID().slice(0, 12)}@example.test`;
            return { email, token: await tokens.issue(email) };
          }),
        );

        await fault.prepare?.(h);
        const started = Date.now();
        const watch = new PersistenceWatch(kafka, config.kafka.applicationsTopic, config.kafka.groupId);
        watch.start();
        const running = burst({
          urls: () => urls,
          eventId,
          people,
          spreadMs: fault.spreadMs ?? 5_000,
          deadlineMs: 120_000,
          abandons: fault.abandons ? (i) => i % 4 === 0 : undefined,
        });
        await sleep(800);
        const injected = await fault.inject(h, eventId);
        const b = await running;
        row.injected += injected.injected;
        poison += injected.poison ?? 0;
        const settled = await settle(ctx, eventId, b.won.keys(), 180_000);
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
        log(
          `${fault.name} #${r + 1}: stock ${stock}, ${b.won.size} won, ${b.soldOut.size} sold out, ${b.unanswered.size} unanswered${retried ? `, retried ${retried}` : ''}${injected.detail ? `, ${injected.detail}` : ''}${refusedText}${resumedText}; ${settled ? 'settled' : 'NOT SETTLED'} after ${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
        for (const n of outcome.notes) {
          notes.push(`${fault.name} #${r + 1}: ${n}`);
          log(`  ${n}`);
        }
      }
    }
    await sleep(2_000);
    const dl = await checkDeadLetters(ctx, poison);
    notes.push(...dl.notes);
    const crashes = [...apis, ...consumers].reduce((n, p) => n + p.crashes.length, 0);
    return { rows, deadLetters: { letters: dl.letters, unaccounted: dl.unaccounted }, notes, crashes };
  } finally {
    await t.stop();
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
    const config = await admin.describeConfigs({
      resources: [{ type: TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
      includeSynonyms: false,
    });
    const minInsync = config.resources[0]?.configEntries[0]?.configValue;
    if (counts.length !== 1 || counts[0]! < 3 || minInsync !== '2')
      throw new Error(`${topic}: replicas ${counts.join('/')}, min.insync.replicas ${minInsync}; the cluster suite needs 3 and 2`);
    return `${partitions.length} partitions, ${counts[0]} replicas each, min.insync.replicas ${minInsync}`;
  } finally {
    await admin.disconnect();
  }
}
