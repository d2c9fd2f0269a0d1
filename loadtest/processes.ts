import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = new URL('../', import.meta.url);

/** A free TCP port on 127.0.0.1, asked of the kernel. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Resident memory of a process now and at its peak (VmRSS, VmHWM), in MB; null once it is gone. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** The kernel's clock ticks per second, in which /proc/<pid>/stat counts CPU time. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU time a process has used so far, user and system, in ms (/proc/<pid>/stat); null once it is gone. */
export function cpuMsOf(pid: number): number | null {
  try {
    // The command name may hold spaces: the fields are counted after its closing parenthesis.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** A reading of a process's CPU time (ms) at a moment (epoch ms). */
export interface CpuReading {
  t: number;
  ms: number;
}

/**
 * A process the harness started (a terning server or consumer, or a reference server). It keeps the
 * peak of its resident memory, sampled from /proc every 100 ms, and its last lines of output.
 */
export class Proc {
  private readonly child: ChildProcess;
  private readonly sampler: NodeJS.Timeout;
  private tail: string[] = [];
  peakRssMb = 0;
  /** Its CPU time, read every 100 ms: what a window of a run cost it (cpuBetween). */
  readonly cpu: CpuReading[] = [];
  exited: Promise<number | null>;

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string>,
    nodeFlags: string[] = [],
  ) {
    this.child = spawn(process.execPath, [...nodeFlags, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      this.tail = this.tail.slice(-20);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.sampler = setInterval(() => this.sample(), 100);
    this.sampler.unref();
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return this.tail.join('\n');
  }

  /**
   * Starts the peak afresh, the kernel's (VmHWM, reset by writing 5 to clear_refs) and ours, so that a
   * scenario's peak is its own and not an earlier one's.
   */
  resetPeak() {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      /* not Linux, or not allowed: the peak then counts from the start */
    }
    this.peakRssMb = 0;
    this.sample();
  }

  sample() {
    const m = memoryOf(this.pid);
    if (m) this.peakRssMb = Math.max(this.peakRssMb, m.peakMb, m.rssMb);
    const ms = cpuMsOf(this.pid);
    if (ms !== null) this.cpu.push({ t: Date.now(), ms });
  }

  /** CPU time (ms) used between two moments (epoch ms), read between the nearest readings. */
  cpuBetween(from: number, to: number): number {
    return cpuAt(this.cpu, to) - cpuAt(this.cpu, from);
  }

  /** SIGTERM, then SIGKILL after `graceMs`: terning's processes drain and flush on SIGTERM. */
  async stop(graceMs = 15_000): Promise<void> {
    this.sample();
    clearInterval(this.sampler);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Waits until `probe` says yes, or fails with what the process printed. */
export async function waitFor(what: string, probe: () => Promise<boolean>, proc?: Proc, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let exited = false;
  void proc?.exited.then(() => {
    exited = true;
  });
  while (Date.now() < until && !exited) {
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not become ready${proc ? `; its output:\n${proc.output}` : ''}`);
}

export const httpReady = (url: string) => async () => (await fetch(url)).ok;

/** A process's CPU time at a moment, interpolated between the readings around it. */
function cpuAt(readings: CpuReading[], t: number): number {
  if (readings.length === 0) return 0;
  const hi = readings.findIndex((r) => r.t >= t);
  if (hi === -1) return readings[readings.length - 1]!.ms;
  if (hi === 0) return readings[0]!.ms;
  const a = readings[hi - 1]!;
  const b = readings[hi]!;
  return a.ms + ((b.ms - a.ms) * (t - a.t)) / Math.max(1, b.t - a.t);
}
