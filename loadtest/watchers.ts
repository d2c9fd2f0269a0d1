import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDatabase } from '../core/adapters/mysql/sequelize.ts';
import { FAN_OUT_SHARE, HEARTBEAT_MS, STOCK_EVERY_MS } from '../core/use-cases/participant/stock-watch.ts';
import { STOCK_STREAM_FAN_OUT_SHARE } from '../server/stock-stream/process.ts';
import type { BenchOptions } from './options.ts';
import { memoryOf, type Proc } from './processes.ts';
import { latencySummary, type LatencySummary } from './stats.ts';
import { migrate, openEvent, startTerning, type Terning } from './terning.ts';
import { benchEmails, mintTokens } from './tokens.ts';
import type { FrameSeen, WatcherCommand, WatcherReport } from './load/watcher-client.ts';

/** Streams per watcher process: under its 20,000 open files, and under the ~28,000 ports of one source address. */
const PER_CLIENT = 9_000;
/** Winners taken one at a time on the watched event: as many stock frames, the last one "sold out". */
const CHANGES = 30;
/** Between two winners: longer than a turn of the watch, so that each change is a frame of its own. */
const GAP_MS = 1_000;
/** The API's CPU at rest is read over this long without watchers; with them, over one heartbeat of each. */
const IDLE_MS = 10_000;
/**
 * A change's CPU is read from just before its apply to just after its frame reached the last watcher,
 * with this margin either side: the readings of /proc are 100 ms apart.
 */
const MARGIN_MS = 150;
const PROJECTED = 100_000;

const now = () => performance.timeOrigin + performance.now();
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** One watcher process (loadtest/load/watcher-client.ts), talked to over IPC. */
class WatcherProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor() {
    this.child = fork(new URL('./load/watcher-client.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  ask(c: WatcherCommand): Promise<WatcherReport> {
    return new Promise((resolve, reject) => {
      const gone = () => reject(new Error('a watcher process exited'));
      this.child.once('exit', gone);
      this.child.once('message', (r: WatcherReport) => {
        this.child.off('exit', gone);
        resolve(r);
      });
      this.child.send(c);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.send({ type: 'close' } satisfies WatcherCommand);
    await Promise.race([this.exited, sleep(10_000).then(() => this.child.kill('SIGKILL'))]);
  }
}

/** The V8 heap in use and in all, in MB, of the process that serves the streams: the API's /metrics, or the stock stream process's /healthz. */
async function heapOf(t: Terning): Promise<{ usedMb: number; totalMb: number }> {
  if (t.stockStream) {
    const health = (await (await fetch(`${t.stockStream.url}/healthz`)).json()) as { heapUsed: number; heapTotal: number };
    return { usedMb: health.heapUsed / 2 ** 20, totalMb: health.heapTotal / 2 ** 20 };
  }
  const res = await fetch(`${t.urls[0]}/metrics`, { headers: { 'X-ADMIN-KEY': t.config.adminKey } });
  const text = await res.text();
  const sample = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return { usedMb: sample('nodejs_heap_size_used_bytes'), totalMb: sample('nodejs_heap_size_total_bytes') };
}

/** The serving process's memory over `ms`: its RSS at the end, and the least heap in use seen once a second (the live part, garbage aside). */
async function memoryOver(t: Terning, api: Proc, ms: number): Promise<{ rssMb: number; heapUsedMb: number; heapTotalMb: number }> {
  const heaps: { usedMb: number; totalMb: number }[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    heaps.push(await heapOf(t));
    await sleep(1_000);
  }
  const least = heaps.reduce((a, b) => (b.usedMb < a.usedMb ? b : a));
  return { rssMb: memoryOf(api.pid)?.rssMb ?? NaN, heapUsedMb: least.usedMb, heapTotalMb: least.totalMb };
}

/** Takes the event's winners one at a time, `gapMs` and a random quarter turn apart; when each apply was sent, by the remaining stock it leaves. */
async function takeWinners(t: Terning, eventId: string, n: number, gapMs = GAP_MS): Promise<Map<number, number>> {
  const tokens = mintTokens(t.config.jwt, benchEmails(eventId, n));
  const sent = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const at = now();
    const res = await fetch(`${t.urls[0]}/api/events/${eventId}/apply`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens[i]}` },
    });
    await res.arrayBuffer();
    if (res.status !== 202) throw new Error(`winner ${i + 1} of ${n} answered ${res.status}`);
    sent.set(n - i - 1, at);
    await sleep(gapMs + Math.random() * (STOCK_EVERY_MS / 4));
  }
  return sent;
}

/** Each remaining stock's frame over every watcher process: how many received it, the first and the last of them. */
function merge(reports: WatcherReport[]): Map<number, FrameSeen> {
  const all = new Map<number, FrameSeen>();
  for (const f of reports.flatMap((r) => r.frames)) {
    const m = all.get(f.remaining);
    if (m) {
      m.watchers += f.watchers;
      m.first = Math.min(m.first, f.first);
      m.last = Math.max(m.last, f.last);
    } else all.set(f.remaining, { ...f });
  }
  return all;
}

/**
 * The API's CPU (ms) over some windows of time, less what it spends at rest over as long: windows that
 * overlap are counted once.
 */
function cpuOver(api: Proc, windows: [number, number][], restMsPerSecond: number): number {
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged.reduce((ms, [from, to]) => ms + api.cpuBetween(from, to) - (restMsPerSecond * (to - from)) / 1_000, 0);
}

const sum = (reports: WatcherReport[], key: 'connected' | 'failed' | 'closedEarly' | 'soldOut') => reports.reduce((a, r) => a + r[key], 0);

/** The open-files limit of a process, soft and hard, from /proc/<pid>/limits. */
function openFilesOf(pid: number): string {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return line ? `${line[1]} soft, ${line[2]} hard` : 'unknown';
}

export interface WatchersRun {
  at: string;
  /** The process that served the streams: `terning stock-stream` or the API (`--via api`). */
  via: 'stock-stream' | 'api';
  asked: number;
  connected: number;
  failed: number;
  closedEarly: number;
  openSeconds: number;
  openCpuUsPerWatcher: number;
  memory: {
    before: { rssMb: number; heapUsedMb: number; heapTotalMb: number };
    with: { rssMb: number; heapUsedMb: number; heapTotalMb: number };
    peakRssMb: number;
    rssMbPer1000: number;
    heapMbPer1000: number;
  };
  cpu: {
    idleMsPerSecond: number;
    idleWithWatchersMsPerSecond: number;
    applyMs: number;
    perFrameMs: number;
    perFrameUsPerWatcher: number;
  };
  frames: number;
  changes: number;
  /** From the apply that changed the stock being sent to the frame reaching the last (and the first) watcher. */
  toLastWatcherMs: LatencySummary;
  toFirstWatcherMs: LatencySummary;
  everyFrameToEveryWatcher: boolean;
  soldOutSeenBy: number;
  projection: { watchers: number; perFrameMs: number; frameEveryMs: number; rssMb: number; heapUsedMb: number };
  apiOpenFiles: string;
  loadAvg: Record<string, number[]>;
  errors: Record<string, number>;
}

/**
 * `npm run bench -- --scenario watchers --watchers N`: the stock stream measured on the real route of a
 * real API process (`terning server`, compiled, production's heap flags from bin/terning.js), with N
 * watchers held by separate processes, each from a loopback address of its own. It reads the API's CPU
 * per stock frame from /proc while winners are taken and the stock falls, its memory before and with
 * the watchers, and how long a change takes to reach the last of them; then projects to 100,000.
 */
export async function watchersBench(o: BenchOptions): Promise<WatchersRun> {
  const loadAvg: Record<string, number[]> = { start: loadavg() };
  const say = (s: string) =>
    process.stdout.write(
      `[bench:watchers] ${s}  (load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')})\n`,
    );
  const clients = Math.ceil(o.watchers / PER_CLIENT);
  const viaApi = o.via === 'api';
  say(
    `preparing: 1 API (bin/terning.js server, ${o.source ? 'through tsx' : 'compiled'}), 1 consumer${viaApi ? '' : ', 1 stock stream process (bin/terning.js stock-stream)'}; ${o.watchers} watchers of ${viaApi ? 'the API' : 'the stock stream process'} from ${clients} process(es)`,
  );
  await ensureDatabase(o.mysqlUrl);
  migrate(o.mysqlUrl);
  // startTerning raises the caps for every bench run: HTTP_MAX_CONNECTIONS=20000 (production: 4000),
  // HTTP_MAX_CONNECTIONS_PER_NETWORK=0 (production: 256; each watcher process is one address).
  const t = await startTerning({
    apis: 1,
    consumers: 1,
    partitions: 1,
    mysqlUrl: o.mysqlUrl,
    apiFlags: o.apiFlags,
    source: o.source,
    stockStream: !viaApi,
  });
  // The process that serves the streams: its CPU, memory and open files are what is measured.
  const api = viaApi ? t.apis[0]! : t.stockStream!.proc;
  const port = Number(new URL(viaApi ? t.urls[0]! : t.stockStream!.url).port);
  const name = viaApi ? 'API' : 'stock stream process';
  const procs: WatcherProcess[] = [];
  try {
    const apiOpenFiles = openFilesOf(api.pid);
    say(`${name} pid ${api.pid}: open files ${apiOpenFiles}; HTTP_MAX_CONNECTIONS=20000, HTTP_MAX_CONNECTIONS_PER_NETWORK=0 for this run`);

    // Without watchers: what taking a winner costs the API (each frame below has one), over the same
    // windows as a frame's, less the CPU at rest, read after them.
    const warm = await openEvent(t, 100);
    await takeWinners(t, warm, 100, 0);
    const quiet = await openEvent(t, CHANGES);
    const quietSent = await takeWinners(t, quiet, CHANGES);
    let from = Date.now();
    const before = await memoryOver(t, api, IDLE_MS);
    let to = Date.now();
    const idleMsPerSecond = (api.cpuBetween(from, to) / (to - from)) * 1_000;
    const applyMs =
      cpuOver(
        api,
        [...quietSent.values()].map((at) => [at - MARGIN_MS, at + 100 + MARGIN_MS]),
        idleMsPerSecond,
      ) / CHANGES;
    say(
      `without watchers: RSS ${round(before.rssMb)} MB, heap ${round(before.heapUsedMb)} of ${round(before.heapTotalMb)} MB; CPU ${round(idleMsPerSecond, 2)} ms/s at rest, ${round(applyMs, 2)} ms a winner`,
    );

    const eventId = await openEvent(t, CHANGES);
    api.resetPeak();
    const opened = Date.now();
    for (let i = 0; i < clients; i++) procs.push(new WatcherProcess());
    const open = await Promise.all(
      procs.map((p, i) =>
        p.ask({
          type: 'open',
          host: '127.0.0.1',
          port,
          path: `/api/events/${eventId}/stream`,
          count: Math.min(PER_CLIENT, o.watchers - i * PER_CLIENT),
          localAddress: `127.0.0.${2 + i}`,
          inFlight: 100,
        }),
      ),
    );
    const openedAt = Date.now();
    const connected = sum(open, 'connected');
    const openCpuUsPerWatcher = connected
      ? ((api.cpuBetween(opened, openedAt) - (idleMsPerSecond * (openedAt - opened)) / 1_000) * 1_000) / connected
      : 0;
    loadAvg.open = loadavg();
    say(
      `${connected} of ${o.watchers} watchers connected in ${round((openedAt - opened) / 1_000)} s (${sum(open, 'failed')} failed), ${round(openCpuUsPerWatcher)} us of ${name} CPU each`,
    );

    from = Date.now();
    const withWatchers = await memoryOver(t, api, HEARTBEAT_MS);
    to = Date.now();
    const idleWithMsPerSecond = (api.cpuBetween(from, to) / (to - from)) * 1_000;
    const per1000 = (x: number) => (connected ? (x * 1_000) / connected : NaN);
    say(
      `with them: RSS ${round(withWatchers.rssMb)} MB, heap ${round(withWatchers.heapUsedMb)} of ${round(withWatchers.heapTotalMb)} MB: ${round(per1000(withWatchers.rssMb - before.rssMb), 2)} MB RSS and ${round(per1000(withWatchers.heapUsedMb - before.heapUsedMb), 2)} MB heap per 1,000 watchers; CPU at rest ${round(idleWithMsPerSecond, 2)} ms/s`,
    );

    say(`taking ${CHANGES} winners, one every ${GAP_MS}-${GAP_MS + STOCK_EVERY_MS / 4} ms, while ${connected} watch`);
    const sent = await takeWinners(t, eventId, CHANGES);
    let reports = await Promise.all(procs.map((p) => p.ask({ type: 'report' })));
    for (let i = 0; i < 50 && sum(reports, 'soldOut') < connected - sum(reports, 'closedEarly'); i++) {
      await sleep(200);
      reports = await Promise.all(procs.map((p) => p.ask({ type: 'report' })));
    }
    loadAvg.frames = loadavg();
    const frames = merge(reports);
    const lastSeen = Math.max(...[...sent.keys()].map((r) => frames.get(r)?.last ?? 0));
    // A few CPU readings past the last frame's last watcher.
    await sleep(Math.max(0, lastSeen + 2 * MARGIN_MS - now()));
    api.sample();
    const peakRssMb = api.peakRssMb;

    const toLast: number[] = [];
    const toFirst: number[] = [];
    const windows: [number, number][] = [];
    let everyFrameToEveryWatcher = true;
    for (const [remaining, at] of sent) {
      const f = frames.get(remaining);
      windows.push([at - MARGIN_MS, (f?.last ?? at + 100) + MARGIN_MS]);
      if (!f) continue;
      toLast.push(f.last - at);
      toFirst.push(f.first - at);
      if (f.watchers !== connected) everyFrameToEveryWatcher = false;
    }
    // Two changes in one turn of the watch are one frame: the CPU is per frame sent.
    const frameCount = toLast.length;
    const perFrameMs = frameCount > 0 ? (cpuOver(api, windows, idleWithMsPerSecond) - applyMs * CHANGES) / frameCount : NaN;
    const soldOutSeenBy = sum(reports, 'soldOut');
    const scale = PROJECTED / connected;
    const perFrameAtScale = perFrameMs * scale;
    const run: WatchersRun = {
      at: new Date().toISOString(),
      via: o.via,
      asked: o.watchers,
      connected,
      failed: sum(reports, 'failed'),
      closedEarly: sum(reports, 'closedEarly'),
      openSeconds: round((openedAt - opened) / 1_000),
      openCpuUsPerWatcher: round(openCpuUsPerWatcher),
      memory: {
        before,
        with: withWatchers,
        peakRssMb: round(peakRssMb),
        rssMbPer1000: round(per1000(withWatchers.rssMb - before.rssMb), 2),
        heapMbPer1000: round(per1000(withWatchers.heapUsedMb - before.heapUsedMb), 2),
      },
      cpu: {
        idleMsPerSecond: round(idleMsPerSecond, 2),
        idleWithWatchersMsPerSecond: round(idleWithMsPerSecond, 2),
        applyMs: round(applyMs, 2),
        perFrameMs: round(perFrameMs, 2),
        perFrameUsPerWatcher: round((perFrameMs * 1_000) / connected, 2),
      },
      frames: frameCount,
      changes: CHANGES,
      toLastWatcherMs: latencySummary(Float64Array.from(toLast)),
      toFirstWatcherMs: latencySummary(Float64Array.from(toFirst)),
      everyFrameToEveryWatcher,
      soldOutSeenBy,
      projection: {
        watchers: PROJECTED,
        perFrameMs: round(perFrameAtScale),
        // The watch stretches its turn so that writing a frame takes at most its share of it (stock-watch.ts).
        frameEveryMs: Math.round(Math.max(STOCK_EVERY_MS, perFrameAtScale / (viaApi ? FAN_OUT_SHARE : STOCK_STREAM_FAN_OUT_SHARE))),
        rssMb: Math.round(before.rssMb + (withWatchers.rssMb - before.rssMb) * scale),
        heapUsedMb: Math.round(before.heapUsedMb + (withWatchers.heapUsedMb - before.heapUsedMb) * scale),
      },
      apiOpenFiles,
      loadAvg,
      errors: Object.assign({}, ...reports.map((r) => r.errors)) as Record<string, number>,
    };
    print(run, say);
    mkdirSync(o.out, { recursive: true });
    const file = join(o.out, `watchers-${run.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
    say(`results: ${file}`);
    return run;
  } catch (e) {
    const code = await Promise.race([api.exited, sleep(100).then(() => 'running')]);
    if (code !== 'running') say(`the ${name} exited (${code}); its last output:\n${api.output}`);
    throw e;
  } finally {
    await Promise.all(procs.map((p) => p.close()));
    await t.stop();
  }
}

function print(r: WatchersRun, say: (s: string) => void) {
  const name = r.via === 'api' ? 'API' : 'stock stream process';
  // bin/terning.js: the old space each one has in production.
  const oldSpaceMb = r.via === 'api' ? 144 : 256;
  const l = r.toLastWatcherMs;
  const f = r.toFirstWatcherMs;
  say(
    `${r.frames} stock frames for ${r.changes} winners: ${name} CPU ${r.cpu.perFrameMs} ms a frame (${r.cpu.perFrameUsPerWatcher} us a watcher; from just before each apply to its frame at the last watcher, less the winner's own ${r.cpu.applyMs} ms and the CPU at rest)`,
  );
  say(
    `from the apply that changed the stock to the last of ${r.connected} watchers: p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms (to the first: p50 ${f.p50} ms; the watch reads the stock every ${STOCK_EVERY_MS} ms)`,
  );
  say(
    `every frame reached every watcher: ${r.everyFrameToEveryWatcher ? 'yes' : 'NO'}; "sold out" seen by ${r.soldOutSeenBy} of ${r.connected}${r.closedEarly ? `; ${r.closedEarly} streams closed early` : ''}; ${name} peak RSS ${r.memory.peakRssMb} MB`,
  );
  say(
    `at ${r.projection.watchers.toLocaleString('en')} watchers on one process, scaled from ${r.connected}: about ${r.projection.perFrameMs} ms of CPU a frame, so a frame every ${r.projection.frameEveryMs} ms at most; RSS about ${r.projection.rssMb} MB, heap in use about ${r.projection.heapUsedMb} MB (production's flags cap the ${name}'s old space at ${oldSpaceMb} MB, bin/terning.js). Not measured: it needs an open-files limit above ${r.projection.watchers.toLocaleString('en')} for the ${name}, and this machine's is ${r.apiOpenFiles}`,
  );
}
