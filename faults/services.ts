import { freePort } from '../infra/net.ts';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { servicesDown, servicesUp } from '../infra/index.ts';
import { managedPid } from '../infra/process.ts';
import { terningHome } from '../infra/paths.ts';

export type FaultService = 'kafka' | 'redis' | 'mysql';
const MARKERS: Record<FaultService, string> = { kafka: 'kafka.Kafka', redis: 'redis-server', mysql: 'mariadbd' };
const ALL: FaultService[] = ['mysql', 'redis', 'kafka'];


/**
 * The suite's own Kafka, Redis (append-only) and MariaDB, under a TERNING_HOME of their own on free
 * ports, started by infra: these, and only these, are killed, paused and restarted. The shared
 * services of the machine are never touched. Their addresses go into process.env, where infra and
 * loadConfig() read them.
 */
export class FaultServices {
  private constructor(readonly home: string, readonly env: Record<string, string>) {}

  static async up(log: (line: string) => void): Promise<FaultServices> {
    const home = mkdtempSync(join(tmpdir(), 'terning-faults-'));
    // The Kafka jars fetched once for the shared broker are reused rather than fetched again.
    const sharedLibs = join(terningHome(), 'kafka', 'libs');
    if (existsSync(sharedLibs)) {
      mkdirSync(join(home, 'kafka'), { recursive: true });
      symlinkSync(sharedLibs, join(home, 'kafka', 'libs'));
    }
    const env = {
      TERNING_HOME: home,
      KAFKA_BROKERS: `127.0.0.1:${await freePort(true)}`,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      MYSQL_URL: `mysql://root@127.0.0.1:${await freePort()}/terning_faults`,
    };
    Object.assign(process.env, env);
    const s = new FaultServices(home, env);
    await s.start(...ALL);
    log(`services: ${env.KAFKA_BROKERS} (kafka), ${env.REDIS_URL}, ${env.MYSQL_URL}, home ${home}`);
    return s;
  }

  async start(...names: FaultService[]): Promise<void> {
    await servicesUp({ only: names });
  }

  pid(name: FaultService): number | undefined {
    return managedPid(name, MARKERS[name]);
  }

  /** kill -9, and wait until the process is gone. */
  async kill(name: FaultService): Promise<void> {
    const pid = this.pid(name);
    if (pid === undefined) throw new Error(`${name} is not running`);
    process.kill(pid, 'SIGKILL');
    while (this.pid(name) !== undefined) await sleep(50);
  }

  signal(name: FaultService, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const pid = this.pid(name);
    if (pid === undefined) throw new Error(`${name} is not running`);
    process.kill(pid, signal);
  }

  /** Redis's files (append-only log, snapshot) removed: the next start is empty. */
  wipeRedis(): void {
    const dir = join(this.home, 'redis');
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
  }

  async down(): Promise<void> {
    for (const name of ALL) if (this.pid(name) !== undefined) this.signal(name, 'SIGCONT');
    await servicesDown({ only: ALL }).catch(() => {});
    rmSync(this.home, { recursive: true, force: true });
  }
}
