import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { Config } from '../core/config.ts';
import type { FaultServices } from './services.ts';
import type { TerningProcess } from './processes.ts';
import { replay } from './replay.ts';

export interface Harness {
  services: FaultServices;
  apis: TerningProcess[];
  consumer: TerningProcess;
  config: Config;
  kafka: Kafka;
  log(line: string): void;
}

export interface Injected { injected: number; poison?: number; detail?: string }

/** One kind of fault: made ready before a burst (optional), injected while it runs. */
export interface Fault {
  name: string;
  prepare?(h: Harness): Promise<void>;
  inject(h: Harness, eventId: string): Promise<Injected>;
}

/** The consumer runs with TERNING_FAULT_POINT set, stops at that point in its first chunk, and is killed there. */
const consumerKilledAt = (point: 'after-decide' | 'after-write', name: string): Fault => ({
  name,
  async prepare(h) {
    await h.consumer.stop();
    await h.consumer.start({ TERNING_FAULT_POINT: point });
  },
  async inject(h) {
    await h.consumer.waitFor(/terning-fault-point/, 60_000);
    await h.consumer.kill9();
    await h.consumer.start();
    return { injected: 1 };
  },
});

export const FAULTS: Fault[] = [
  consumerKilledAt('after-decide', 'consumer kill -9 after decide, before write'),
  consumerKilledAt('after-write', 'consumer kill -9 after write, before commit'),
  {
    name: 'api kill -9 with requests in flight',
    async inject(h) {
      await h.apis[0]!.kill9();
      await sleep(1_000);
      await h.apis[0]!.start();
      return { injected: 1 };
    },
  },
  {
    name: 'redis kill -9 + restart (AOF kept)',
    async inject(h) {
      await h.services.kill('redis');
      await sleep(1_000);
      await h.services.start('redis');
      return { injected: 1 };
    },
  },
  {
    name: 'redis kill -9 + restart (data lost)',
    async inject(h) {
      await h.services.kill('redis');
      h.services.wipeRedis();
      await sleep(1_000);
      await h.services.start('redis');
      return { injected: 1 };
    },
  },
  {
    name: 'mysql paused (SIGSTOP) 12 s',
    async inject(h) {
      h.services.signal('mysql', 'SIGSTOP');
      await sleep(12_000);
      h.services.signal('mysql', 'SIGCONT');
      return { injected: 1 };
    },
  },
  {
    name: 'kafka broker kill -9 + restart',
    async inject(h) {
      await h.services.kill('kafka');
      await sleep(2_000);
      await h.services.start('kafka');
      return { injected: 1 };
    },
  },
  {
    name: 'messages delivered 2-3 times + poison',
    async inject(h, eventId) {
      const r = await replay(h.kafka, h.config.kafka.applicationsTopic, eventId);
      return { injected: 1, poison: r.poison, detail: `${r.copies} copies` };
    },
  },
];
