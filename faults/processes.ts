import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/terning.js', import.meta.url));
const READY: Record<'server' | 'consumer', RegExp> = { server: /api listening/, consumer: /consumer running/ };

/**
 * One real `terning server` or `terning consumer` process (bin/terning.js on this Node), its output
 * kept in a log file and watched for lines the suite waits for.
 */
export class TerningProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private watchers: { pattern: RegExp; resolve: () => void }[] = [];
  private out: WriteStream;
  /** The end of this start's output: a line printed before someone waits for it still counts. */
  private tail = '';
  starts = 0;
  /** Exits nobody asked for (no kill9, no stop): a crash, which fails a run. */
  readonly crashes: { pid: number | undefined; at: number; code: number | null; signal: string | null }[] = [];
  private stopping = false;

  constructor(
    readonly kind: 'server' | 'consumer',
    private readonly env: Record<string, string>,
    logFile: string,
  ) {
    this.out = createWriteStream(logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts it (with extra environment, e.g. TERNING_FAULT_POINT) and waits until it says it is ready:
   * up to 3 min, since a machine under a load of 40 took over a minute while Kafka's coordinator loaded.
   */
  async start(extraEnv: Record<string, string> = {}, timeoutMs = 180_000): Promise<void> {
    this.spawn(extraEnv);
    await this.waitFor(READY[this.kind], timeoutMs);
  }

  /** Starts it without waiting, as a supervisor restarts a process that died. */
  spawn(extraEnv: Record<string, string> = {}): void {
    const child = spawn(process.execPath, [BIN, this.kind], {
      env: { ...process.env, ...this.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    this.stopping = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping) this.crashes.push({ pid: child.pid, at: Date.now(), code, signal });
        resolve();
      }),
    );
    this.tail = '';
    const onData = (chunk: Buffer) => {
      this.out.write(chunk);
      this.tail = (this.tail + chunk.toString('utf8')).slice(-8_192);
      for (const w of [...this.watchers]) {
        if (w.pattern.test(this.tail)) {
          this.watchers = this.watchers.filter((x) => x !== w);
          w.resolve();
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  }

  /** Resolves when this start of the process has printed a line matching the pattern. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    if (pattern.test(this.tail)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers = this.watchers.filter((x) => x.resolve !== done);
        reject(
          new Error(
            `${this.kind} (pid ${this.pid}) did not print ${pattern} within ${timeoutMs} ms; it ended:\n${this.tail.slice(-3_000)}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.watchers.push({ pattern, resolve: done });
      void this.exited?.then(() => {
        if (this.watchers.some((x) => x.resolve === done)) {
          clearTimeout(timer);
          reject(new Error(`${this.kind} exited before printing ${pattern}; it ended:\n${this.tail.slice(-3_000)}`));
        }
      });
    });
  }

  /** kill -9; false when it was not running (nothing was killed). */
  async kill9(): Promise<boolean> {
    if (!this.running) return false;
    this.stopping = true;
    this.child!.kill('SIGKILL');
    await this.exited;
    return true;
  }

  /** SIGTERM (a clean stop: the consumer leaves its group), SIGKILL after the timeout. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  close(): void {
    this.out.end();
  }
}
