import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { redisTarget } from '../infra/redis.ts';
import { eventKeys } from '../core/adapters/redis/keys.ts';
import type { FaultRecord, StockChange } from './history.ts';
import type { Topology } from './topology.ts';
import type { TerningProcess } from './processes.ts';
import type { FaultPoint } from '../core/platform/fault-point.ts';
import { partitionRedisPrimary } from './cluster-faults.ts';

const BIN = fileURLToPath(new URL('../bin/terning.js', import.meta.url));

/** What a fault of a random schedule acts on, and draws from. */
export interface ChaosContext {
  t: Topology;
  eventId: string;
  /** A number in [0, 1) from the schedule's seed. */
  random(): number;
  /** The event's stock as last set, and the changes made. */
  stock: { total: number; changes: StockChange[] };
  applicants: number;
}

/**
 * One kind of fault a schedule may draw. Faults that share a group act on the same thing (the Kafka
 * leader, the Redis primary, the first API, the consumers...) and never overlap; the others do. `prepare` runs before the
 * crowd (a process restarted with a fault point); `inject` at the drawn moment, and returns what was
 * seen: `injected` only when the fault's effect was (a live pid gone, a process stopped, a new primary,
 * keys deleted, a command answered).
 */
export interface Chaos {
  kind: string;
  /** What it acts on, the first the one it is drawn for. */
  groups: string[];
  /**
   * Some people (one in four) leave at a dropped connection, their units coming back through the
   * sweeper; 'everyone': whoever's connection drops leaves, so that the unit the fault strands is
   * surely left to the sweeper (a person who tried again would take it back first: seeds 7038, 9103).
   */
  abandons?: boolean | 'everyone';
  prepare?(c: ChaosContext): Promise<void>;
  inject(c: ChaosContext): Promise<FaultRecord>;
}

/** A process's state letter in /proc (R, S, T for stopped...), or undefined when it is gone. */
export function procState(pid: number | undefined): string | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}
const alive = (pid: number | undefined) => {
  const s = procState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
};

/** A process killed -9 may take a moment to finish exiting (a JVM's memory is torn down first): up to 10 s. */
async function gone(pid: number | undefined): Promise<boolean> {
  for (const until = Date.now() + 10_000; Date.now() < until; await sleep(50)) if (!alive(pid)) return true;
  return false;
}

const between = (c: ChaosContext, lo: number, hi: number) => Math.round(lo + c.random() * (hi - lo));

/** kill -9 of a service node, seen: its pid alive before, gone after. */
async function killNode(c: ChaosContext, kind: string, name: string, at: number): Promise<FaultRecord & { pid?: number }> {
  const pid = c.t.services.pid(name);
  const before = alive(pid);
  if (before) await c.t.services.kill(name);
  const dead = before && (await gone(pid));
  return {
    kind,
    target: name,
    at,
    endedAt: Date.now(),
    injected: dead,
    evidence: `pid ${pid} ${before ? 'alive' : 'NOT alive'} before, ${dead ? 'gone' : 'NOT gone'} after`,
    pid,
  };
}

/** SIGSTOP of a service node for `ms`, seen: its pid in state T while frozen. */
async function freezeNode(c: ChaosContext, kind: string, name: string, ms: number): Promise<FaultRecord> {
  const at = Date.now();
  const pid = c.t.services.pid(name);
  if (pid === undefined) return { kind, target: name, at, endedAt: at, injected: false, evidence: 'no pid: not running' };
  c.t.services.signal(name, 'SIGSTOP');
  // Every thread of the JVM must stop before the process reads T: on a loaded machine that took longer
  // than the 50 ms once given (schedule 11 of a random run read R). Seen stopped within 2 s, or not.
  const stoppedBy = Date.now() + 2_000;
  let state = procState(pid);
  while (state !== 'T' && state !== undefined && Date.now() < stoppedBy) {
    await sleep(50);
    state = procState(pid);
  }
  await sleep(Math.max(0, ms - (Date.now() - at)));
  c.t.services.signal(name, 'SIGCONT');
  return {
    kind,
    target: name,
    at,
    endedAt: Date.now(),
    injected: state === 'T',
    evidence: `pid ${pid} state ${state ?? 'gone'} while frozen ${ms} ms`,
  };
}

async function promotedFrom(c: ChaosContext, was: string, withinMs: number): Promise<string | undefined> {
  for (const until = Date.now() + withinMs; Date.now() < until; await sleep(100)) {
    const now = await c.t.services.redisPrimary().catch(() => was);
    if (now !== was) return now;
  }
  return undefined;
}

/** A terning command against the first API process: its exit code and output. */
function terning(c: ChaosContext, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args, '--url', c.t.urls[1]!, '--admin-key', c.t.config.adminKey, '--actor', 'faults', '--json'],
      { env: { ...process.env, ...c.t.env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}`.trim() }),
    );
  });
}

async function restartAt(p: TerningProcess, point: FaultPoint): Promise<void> {
  await p.stop();
  await p.start({ TERNING_FAULT_POINT: point });
}

/** Waits until the process stops at `point`, then kills it -9: seen when it got there, was alive, and is gone. */
async function killAtPoint(p: TerningProcess, point: FaultPoint, waitMs: number): Promise<{ ok: boolean; evidence: string }> {
  const reached = await p.waitFor(/terning-fault-point/, waitMs).then(
    () => true,
    () => false,
  );
  const pid = p.pid;
  const before = alive(pid);
  const killed = reached && (await p.kill9());
  const dead = killed && (await gone(pid));
  if (!killed) await p.stop(5_000);
  return {
    ok: reached && before && dead,
    evidence: `${p.kind} pid ${pid} ${reached ? 'stopped at' : 'NEVER reached'} ${point}, ${before ? 'alive' : 'NOT alive'} before, ${dead ? 'gone' : 'NOT gone'} after the kill`,
  };
}

/** Kills -9, once it has stopped at `point` on the crowd's first request or record, the process restarted there by `prepare`. */
function killedAtPoint(kind: string, group: string, point: FaultPoint, which: (t: Topology) => TerningProcess, abandons = false): Chaos {
  return {
    kind,
    groups: [group],
    abandons,
    prepare: (c) => restartAt(which(c.t), point),
    async inject(c) {
      const at = Date.now();
      const k = await killAtPoint(which(c.t), point, 30_000);
      const endedAt = Date.now();
      await which(c.t).start();
      return { kind, target: which(c.t).kind, at, endedAt, injected: k.ok, evidence: k.evidence };
    },
  };
}

export const CHAOS: Chaos[] = [
  {
    kind: 'kafka: a partition leader kill -9',
    groups: ['kafka'],
    async inject(c) {
      const at = Date.now();
      const broker = await c.t.services.leaderOf(c.t.kafka, c.t.config.kafka.applicationsTopic, between(c, 0, 3));
      const r = await killNode(c, this.kind, broker, at);
      await sleep(between(c, 2_000, 10_000));
      await c.t.services.start('kafka');
      return { ...r, endedAt: Date.now() };
    },
  },
  {
    kind: 'kafka: a partition leader paused',
    groups: ['kafka'],
    async inject(c) {
      const broker = await c.t.services.leaderOf(c.t.kafka, c.t.config.kafka.applicationsTopic, between(c, 0, 3));
      return freezeNode(c, this.kind, broker, between(c, 2_000, 12_000));
    },
  },
  {
    kind: 'redis: primary kill -9',
    groups: ['redis'],
    async inject(c) {
      const at = Date.now();
      const primary = await c.t.services.redisPrimary();
      const r = await killNode(c, this.kind, primary, at);
      const next = r.injected ? await promotedFrom(c, primary, 60_000) : undefined;
      await c.t.services.start('redis');
      return {
        ...r,
        endedAt: Date.now(),
        injected: r.injected && next !== undefined,
        evidence: `${r.evidence}; ${next ? `${next} promoted` : 'NO replica promoted in 60 s'}`,
      };
    },
  },
  {
    kind: 'redis: primary paused',
    groups: ['redis'],
    async inject(c) {
      const primary = await c.t.services.redisPrimary();
      const r = await freezeNode(c, this.kind, primary, between(c, 1_000, 8_000));
      await c.t.services.start('redis');
      return r;
    },
  },
  {
    // A network partition (faults/cluster-faults.ts): the Sentinels promote a replica while terning still writes to the old primary.
    kind: 'redis: primary cut off from the Sentinels and replicas',
    groups: ['redis'],
    async inject(c) {
      const at = Date.now();
      const p = await partitionRedisPrimary(c.t.services, between(c, 4_000, 10_000));
      await c.t.services.start('redis');
      return {
        kind: this.kind,
        target: p.node,
        at,
        endedAt: Date.now(),
        injected: p.linksCut > 0,
        evidence: `${p.linksCut} links cut; ${p.promotedAfterMs === undefined ? 'no replica promoted while cut off' : `replica promoted after ${p.promotedAfterMs} ms`}`,
      };
    },
  },
  {
    kind: 'redis: SENTINEL FAILOVER',
    groups: ['redis'],
    async inject(c) {
      const at = Date.now();
      const primary = await c.t.services.redisPrimary();
      const s = redisTarget().redisSentinels[0]!;
      const sentinel = new Redis({ host: s.host, port: s.port, lazyConnect: true, maxRetriesPerRequest: 1 });
      const said = await sentinel
        .connect()
        .then(() => sentinel.call('SENTINEL', 'FAILOVER', redisTarget().redisMasterName))
        .then(String, (e: Error) => e.message);
      sentinel.disconnect();
      const next = await promotedFrom(c, primary, 30_000);
      await c.t.services.start('redis');
      return {
        kind: this.kind,
        target: primary,
        at,
        endedAt: Date.now(),
        injected: next !== undefined,
        evidence: `sentinel said ${said}; ${next ? `${next} promoted` : 'NO new primary in 30 s'}`,
      };
    },
  },
  killedAtPoint('api: kill -9 between the gate and Kafka', 'api', 'after-gate', (t) => t.apis[0]!, true),
  {
    // The applicants who left at the API's death leave reservations Kafka never got; a consumer's sweeper
    // gives them back, and is killed between revoke.lua and the RELEASED row (give-back.ts). A restore
    // (of the event, or of every event after a Redis failover) would drop those reservations first and
    // leave nothing to give back: it is never drawn with those.
    kind: 'api: kill -9 between the gate and Kafka, then a consumer kill -9 mid-release',
    groups: ['api', 'consumer', 'restore', 'redis'],
    abandons: 'everyone',
    async prepare(c) {
      await restartAt(c.t.apis[0]!, 'after-gate');
      for (const p of c.t.consumers) await restartAt(p, 'after-revoke');
    },
    async inject(c) {
      const at = Date.now();
      const api = await killAtPoint(c.t.apis[0]!, 'after-gate', 30_000);
      await c.t.apis[0]!.start();
      // Each consumer's sweeper stops at its first release: the first to get there is killed; every consumer then runs plain again.
      const first = await Promise.any(c.t.consumers.map((p) => p.waitFor(/terning-fault-point/, 90_000).then(() => p))).catch(
        () => undefined,
      );
      const consumer = first ? await killAtPoint(first, 'after-revoke', 0) : { ok: false, evidence: 'NEVER reached after-revoke in 90 s' };
      const endedAt = Date.now();
      for (const p of c.t.consumers) {
        if (p.running) await p.stop(5_000);
        await p.start();
      }
      return {
        kind: this.kind,
        target: 'api 0, a consumer',
        at,
        endedAt,
        injected: api.ok && consumer.ok,
        evidence: `api: ${api.evidence}; consumer: ${consumer.evidence}`,
      };
    },
  },
  killedAtPoint('consumer: kill -9 after write, before commit', 'consumer', 'after-write', (t) => t.consumers[0]!),
  {
    // Redis losing one event's state: whoever meets it first begins its restore from MySQL and Kafka.
    kind: "restore: the event's Redis state lost",
    groups: ['restore'],
    async inject(c) {
      const at = Date.now();
      const k = eventKeys(c.t.config.redisPrefix, c.eventId);
      // Redis may be failing over under another fault: the loss happens once it answers again.
      let deleted: number | Error = new Error('never tried');
      for (const until = Date.now() + 60_000; Date.now() < until; await sleep(500)) {
        deleted = await c.t.stores.redis.del(k.meta, k.remaining, k.reserved, k.decisions, k.ticketSeq).catch((e: Error) => e);
        if (typeof deleted === 'number') break;
      }
      const ok = typeof deleted === 'number' && deleted > 0;
      return {
        kind: this.kind,
        target: c.eventId,
        at,
        endedAt: Date.now(),
        injected: ok,
        evidence: ok ? `${deleted} keys deleted` : `nothing deleted: ${String(deleted)}`,
      };
    },
  },
  {
    kind: 'operator: terning dlq replay --all',
    groups: ['dlq'],
    async inject(c) {
      const at = Date.now();
      // A broker frozen by another fault makes the dead letters unreadable for a while (503): the operator tries again.
      let r = await terning(c, ['dlq', 'replay', '--all']);
      while (r.code !== 0 && Date.now() - at < 60_000) {
        await sleep(1_000);
        r = await terning(c, ['dlq', 'replay', '--all']);
      }
      return {
        kind: this.kind,
        target: 'dead letters',
        at,
        endedAt: Date.now(),
        injected: r.code === 0,
        evidence: `exit ${r.code}: ${r.out.replace(/\s+/g, ' ').slice(0, 300)}`,
      };
    },
  },
  {
    // Up or down by up to a quarter of the crowd; below the winners so far is refused, and that is an answer too.
    kind: 'operator: terning stock set',
    groups: ['stock'],
    async inject(c) {
      const at = Date.now();
      const total = Math.max(0, c.stock.total + between(c, -Math.ceil(c.applicants / 4), Math.ceil(c.applicants / 4)));
      for (;;) {
        const sent = Date.now();
        const r = await terning(c, ['stock', 'set', String(total), '--event', c.eventId]);
        const refused = r.code !== 0 && r.out.includes('STOCK_BELOW_WINNERS');
        if (r.code === 0 || refused) {
          c.stock.changes.push({ sent, answered: Date.now(), total, applied: r.code === 0, detail: r.out.slice(0, 200) });
          if (r.code === 0) c.stock.total = total;
          return {
            kind: this.kind,
            target: `${total}`,
            at,
            endedAt: Date.now(),
            injected: true,
            evidence: r.code === 0 ? `set to ${total}` : `refused: below the winners (${total})`,
          };
        }
        // A restore or a failover under way answers 503: the operator tries again, as they would.
        if (Date.now() - at > 60_000)
          return {
            kind: this.kind,
            target: `${total}`,
            at,
            endedAt: Date.now(),
            injected: false,
            evidence: `exit ${r.code}: ${r.out.replace(/\s+/g, ' ').slice(0, 300)}`,
          };
        await sleep(1_000);
      }
    },
  },
];
