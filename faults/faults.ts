import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { Config } from '../core/platform/config.ts';
import type { FaultPoint } from '../core/platform/fault-point.ts';
import type { FaultServices } from './services.ts';
import type { TerningProcess } from './processes.ts';
import { replay } from './replay.ts';

export interface Harness {
  services: FaultServices;
  apis: TerningProcess[];
  consumers: TerningProcess[];
  config: Config;
  kafka: Kafka;
  log(line: string): void;
}

export interface Injected {
  injected: number;
  poison?: number;
  detail?: string;
  /** When the fault ended (a new consumer started, a service came back): persistence is timed from here. */
  endedAt: number;
}

/** One kind of fault: made ready before a burst (optional), injected while it runs. */
export interface Fault {
  name: string;
  prepare?(h: Harness): Promise<void>;
  inject(h: Harness, eventId: string): Promise<Injected>;
  /** Some applicants give up at their first dropped connection, as someone closing the page would. */
  abandons?: boolean;
  /** Arrivals spread over this long (5 s): a fault that lasts longer keeps records coming through it. */
  spreadMs?: number;
}

/** kill -9 of a process that must be running: a kill of a dead one would inject nothing, and the run fails. */
async function killed(p: TerningProcess): Promise<void> {
  if (!(await p.kill9())) throw new Error(`${p.kind} was not running when it was to be killed: the fault was not injected`);
}

/** Starts the consumers again after a fault; says how long they took to be up (their start counts in the recovery). */
async function restart(consumers: TerningProcess[], injected: number): Promise<Injected> {
  const endedAt = Date.now();
  await Promise.all(consumers.map((c) => c.start()));
  return { injected, endedAt, detail: `consumer${consumers.length > 1 ? 's' : ''} up in ${((Date.now() - endedAt) / 1000).toFixed(1)} s` };
}

/** The first consumer runs with TERNING_FAULT_POINT set, stops at that point in its first chunk, and is killed there. */
const consumerKilledAt = (point: FaultPoint, name: string): Fault => ({
  name,
  async prepare(h) {
    await h.consumers[0]!.stop();
    await h.consumers[0]!.start({ TERNING_FAULT_POINT: point });
  },
  async inject(h) {
    const c = h.consumers[0]!;
    await c.waitFor(/terning-fault-point/, 60_000);
    await killed(c);
    return restart([c], 1);
  },
});

/**
 * A supervisor restarts a consumer that dies at once; here it dies again before it is up, three times
 * within 2 s, each time leaving the group a member that will never answer.
 */
export const consumerCrashLoop: Fault = {
  name: 'consumer crash loop (3 kills in 2 s)',
  async inject(h) {
    const c = h.consumers[0]!;
    await killed(c);
    for (let i = 0; i < 2; i++) {
      c.spawn();
      await sleep(900);
      await killed(c);
    }
    return restart([c], 3);
  },
};

export const apiKilled: Fault = {
  name: 'api kill -9 with requests in flight',
  async inject(h) {
    await killed(h.apis[0]!);
    await sleep(1_000);
    await h.apis[0]!.start();
    return { injected: 1, endedAt: Date.now() };
  },
};

export const FAULTS: Fault[] = [
  consumerKilledAt('after-settle', 'consumer kill -9 after settle, before write'),
  consumerKilledAt('after-write', 'consumer kill -9 after write, before commit'),
  consumerCrashLoop,
  {
    // A consumer that dies just after joining (a crash at start) leaves a member behind each time.
    name: 'consumer crash loop (3 kills, each restart as it joins)',
    spreadMs: 30_000,
    async inject(h) {
      const c = h.consumers[0]!;
      await killed(c);
      for (let i = 0; i < 2; i++) {
        await c.start();
        await killed(c);
      }
      return restart([c], 3);
    },
  },
  apiKilled,
  {
    // The first API stops between the gate's decision and Kafka's ack and is killed there: the units it
    // reserved are resent by the retries of their people, or released by the sweeper for those who left.
    name: 'api kill -9 between the gate and Kafka',
    abandons: true,
    async prepare(h) {
      await h.apis[0]!.stop();
      await h.apis[0]!.start({ TERNING_FAULT_POINT: 'after-gate' });
    },
    async inject(h) {
      const api = h.apis[0]!;
      await api.waitFor(/terning-fault-point/, 30_000);
      await killed(api);
      const endedAt = Date.now();
      await api.start();
      return { injected: 1, endedAt };
    },
  },
  {
    name: 'redis kill -9 + restart (AOF kept)',
    async inject(h) {
      await h.services.kill('redis');
      await sleep(1_000);
      await h.services.start('redis');
      return { injected: 1, endedAt: Date.now() };
    },
  },
  {
    name: 'redis kill -9 + restart (data lost)',
    async inject(h) {
      await h.services.kill('redis');
      h.services.wipeRedis();
      await sleep(1_000);
      await h.services.start('redis');
      return { injected: 1, endedAt: Date.now() };
    },
  },
  {
    // Decisions wait in Kafka (no consumer runs) when Redis loses them: the event is rebuilt from
    // MySQL only once the consumers have persisted the topic up to where it was at the loss.
    name: 'redis data lost with a backlog in Kafka',
    async prepare(h) {
      await Promise.all(h.consumers.map((c) => c.stop()));
    },
    async inject(h) {
      await sleep(1_500);
      await h.services.kill('redis');
      h.services.wipeRedis();
      await h.services.start('redis');
      await sleep(2_000);
      return restart(h.consumers, 1);
    },
  },
  {
    name: 'mysql paused (SIGSTOP) 12 s',
    async inject(h) {
      h.services.signal('mysql', 'SIGSTOP');
      await sleep(12_000);
      h.services.signal('mysql', 'SIGCONT');
      return { injected: 1, endedAt: Date.now() };
    },
  },
  {
    name: 'kafka broker kill -9 + restart',
    async inject(h) {
      await h.services.kill('kafka');
      await sleep(2_000);
      await h.services.start('kafka');
      return { injected: 1, endedAt: Date.now() };
    },
  },
  {
    name: 'messages delivered 2-3 times + poison',
    async inject(h, eventId) {
      const r = await replay(h.kafka, h.config.kafka.applicationsTopic, eventId);
      return { injected: 1, poison: r.poison, detail: `${r.copies} copies`, endedAt: Date.now() };
    },
  },
];
