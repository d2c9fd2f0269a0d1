import { mkdirSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createPool } from 'mysql2/promise';
import { ensureDatabase } from '../core/db/sequelize.ts';
import { parseOptions } from './options.ts';
import { Proc, freePort, httpReady, waitFor } from './processes.ts';
import { migrate, startTerning } from './terning.ts';
import { referenceRun, terningRun, type Load, type TerningRun, type ReferenceRun } from './scenarios.ts';
import { median, type LoadSummary } from './stats.ts';
import { failures, target, type Target } from './targets.ts';
import { hotSpots } from './profile.ts';
import { writeResults, type BenchResults } from './report.ts';
import { printSummary } from './print.ts';

const o = parseOptions(process.argv.slice(2));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(o.out, { recursive: true });
const profileDir = o.profile ? join(o.out, `profile-${stamp}`) : undefined;
const say = (s: string) => process.stdout.write(`[bench] ${s}  (load ${loadavg().map((x) => x.toFixed(2)).join(' ')})\n`);
const strip = <T extends object>(r: T & { result?: unknown }): T => { const { result: _, ...rest } = r; return rest as T; };

say(`preparing: ${o.apis} API(s), ${o.consumers} consumer(s), ${o.partitions} partition(s), ${o.source ? 'TypeScript through tsx' : 'compiled (npm run build)'}, database ${o.mysqlUrl}`);
await ensureDatabase(o.mysqlUrl);
migrate(o.mysqlUrl);
const pool = createPool({ uri: o.mysqlUrl, connectionLimit: 4 });
const terning = await startTerning({ apis: o.apis, consumers: o.consumers, partitions: o.partitions, mysqlUrl: o.mysqlUrl, cpuProfileDir: profileDir, apiFlags: o.apiFlags, source: o.source });
const refs: { ceiling?: { url: string; proc: Proc }; naive?: { url: string; proc: Proc } } = {};
const contract = terning.config.jwt;
const loadAvg: Record<string, number[]> = { start: loadavg() };

try {
  if (o.references) {
    for (const [name, file, env] of [['ceiling', 'ceiling.ts', {}], ['naive', 'naive.ts', { MYSQL_URL: o.mysqlUrl }]] as const) {
      const port = await freePort();
      const proc = new Proc(name, ['--import', 'tsx', `loadtest/references/${file}`], { ...env, PORT: String(port) });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(name, httpReady(url), proc);
      refs[name] = { url, proc };
    }
  }
  const herd: Load = { kind: 'burst', users: o.herd, connections: o.herd };
  const big: Load = { kind: 'burst', users: o.users, connections: o.connections, pipelined: o.pipelined };
  const sustained: Load = { kind: 'sustained', users: 0, connections: o.sustainConnections, durationMs: o.sustainSeconds * 1000 };

  say('warming up (JIT) every server with a small burst');
  const warm: Load = { kind: 'burst', users: 500, connections: 500 };
  await terningRun(terning, pool, 100, warm, { check: false });
  if (refs.ceiling) await referenceRun(refs.ceiling.url, warm, contract);
  if (refs.naive) await referenceRun(refs.naive.url, warm, contract, { pool, stock: 100 });

  const herdRuns: { ceiling?: ReferenceRun; terning: TerningRun; naive?: ReferenceRun }[] = [];
  for (let r = 1; r <= o.rounds; r++) {
    say(`herd round ${r}/${o.rounds}: ${o.herd} applicants at once, one connection each`);
    const ceiling = refs.ceiling && strip(await referenceRun(refs.ceiling.url, herd, contract));
    const t = strip(await terningRun(terning, pool, o.stock, herd));
    const naive = refs.naive && strip(await referenceRun(refs.naive.url, herd, contract, { pool, stock: o.stock }));
    herdRuns.push({ ceiling, terning: t, naive });
    say(`  p95 ceiling ${ceiling?.load.latencyMs.p95 ?? '-'} ms, terning ${t.load.latencyMs.p95} ms, naive ${naive?.load.latencyMs.p95 ?? '-'} ms`);
  }
  loadAvg.herd = loadavg();

  say(`big burst: ${o.users} applicants for ${o.stock} units over ${o.connections} connections, ${o.pipelined ? 'pipelined' : 'one request at a time per connection, as behind a proxy'}`);
  // The burst's own peak: the herd rounds before it have theirs.
  const apiPeakHerdMb = Math.max(...terning.apis.map((a) => (a.sample(), a.peakRssMb)));
  for (const p of [...terning.apis, ...terning.consumers]) p.resetPeak();
  const bigRun = strip(await terningRun(terning, pool, o.stock, big));
  const apiPeakAfterBurstMb = Math.max(...terning.apis.map((a) => (a.sample(), a.peakRssMb)));
  const consumerPeakAfterBurstMb = Math.max(...terning.consumers.map((c) => (c.sample(), c.peakRssMb)));
  const consumerPeaks = [consumerPeakAfterBurstMb];
  say(`  ${bigRun.load.throughputPerSecond}/s, p95 ${bigRun.load.latencyMs.p95} ms, ${bigRun.won} WON and ${bigRun.soldOut} SOLD_OUT, every winner persisted ${bigRun.persistedAfterLastAnswerMs} ms after the last answer`);
  refs.ceiling?.proc.resetPeak();
  const bigCeiling = refs.ceiling && strip(await referenceRun(refs.ceiling.url, big, contract));
  const ceilingPeakAfterBurstMb = refs.ceiling ? (refs.ceiling.proc.sample(), refs.ceiling.proc.peakRssMb) : undefined;
  const bigNaive = refs.naive && strip(await referenceRun(refs.naive.url, big, contract, { pool, stock: o.stock }));
  loadAvg.big = loadavg();

  // Every applicant wins here, so that the backlog holds a row to persist for each of them.
  say(`consumer catch-up: no consumer during a burst of ${o.users} for as many units; new ones persist the backlog`);
  const backlogRun = strip(await terningRun(terning, pool, o.users, big, { backlog: true }));
  consumerPeaks.push(...terning.consumers.map((c) => (c.sample(), c.peakRssMb)));
  say(`  ${backlogRun.persistedPerSecond} winners/s persisting the backlog`);
  loadAvg.backlog = loadavg();

  say(`sustained: ${o.sustainSeconds} s, ${o.sustainConnections} keep-alive connections, a new user per request`);
  const sCeiling = refs.ceiling && strip(await referenceRun(refs.ceiling.url, sustained, contract));
  const sTerning = strip(await terningRun(terning, pool, 10_000_000, sustained));
  const sNaive = refs.naive && strip(await referenceRun(refs.naive.url, sustained, contract, { pool, stock: 10_000_000 }));
  say(`  ceiling ${sCeiling?.load.throughputPerSecond ?? '-'}/s, terning ${sTerning.load.throughputPerSecond}/s, naive ${sNaive?.load.throughputPerSecond ?? '-'}/s`);
  loadAvg.sustained = loadavg();

  const apiPeakMb = Math.max(apiPeakHerdMb, ...terning.apis.map((a) => (a.sample(), a.peakRssMb)));
  const consumerPeakMb = Math.max(...consumerPeaks, ...terning.consumers.map((c) => (c.sample(), c.peakRssMb)));
  await terning.stop();
  await Promise.all(Object.values(refs).map((r) => r.proc.stop()));

  const p95 = (xs: (LoadSummary | undefined)[]) => median(xs.filter((x): x is LoadSummary => !!x).map((x) => x.latencyMs.p95));
  const herdP95 = { ceiling: p95(herdRuns.map((h) => h.ceiling?.load)), terning: p95(herdRuns.map((h) => h.terning.load)), naive: p95(herdRuns.map((h) => h.naive?.load)) };
  const herdFailures = herdRuns.reduce((a, h) => a + failures(h.terning.load), 0);
  const ratio = (a: number, b?: number) => (b ? Math.round((a / b) * 100) / 100 : undefined);
  const targets: Target[] = [
    target(`herd of ${o.herd}: no errors`, `${herdFailures} failed answers`, '0', herdFailures === 0),
    target(`herd of ${o.herd}: p95 vs the trivial-Koa ceiling`, `${herdP95.terning} ms vs ${herdP95.ceiling} ms (x${ratio(herdP95.terning, herdP95.ceiling) ?? '-'})`, '<= x1.5', !!herdP95.ceiling && herdP95.terning <= 1.5 * herdP95.ceiling),
    target(`herd of ${o.herd}: the original's bar`, `p95 ${herdP95.terning} ms`, '< 1000 ms', herdP95.terning < 1000),
    target(`burst of ${o.users}: no errors or timeouts`, `${failures(bigRun.load)} failed answers`, '0', failures(bigRun.load) === 0),
    target(`burst of ${o.users}: arrival order (${o.apis} API, ${o.partitions} partition(s))`,
      `${bigRun.won} 202s for ${o.stock} units, ${bigRun.invariants?.winnersOutOfOrder ?? '-'} winners out of order, ${bigRun.invariants?.wonAfterSoldOut ?? '-'} won after a SOLD_OUT`,
      `${o.stock}, 0, 0`, bigRun.won === Math.min(o.stock, o.users) && bigRun.invariants?.winnersOutOfOrder === 0 && bigRun.invariants.wonAfterSoldOut === 0),
    target(`burst of ${o.users}: every winner persisted after the last answer`, `${bigRun.persistedAfterLastAnswerMs ?? 'never'} ms`, '<= 2000 ms', (bigRun.persistedAfterLastAnswerMs ?? Infinity) <= 2000),
    target('consumers persisting a backlog', `${backlogRun.persistedPerSecond ?? 0} winners/s`, '>= 10000/s', (backlogRun.persistedPerSecond ?? 0) >= 10_000),
    target('sustained throughput vs the ceiling', `${sTerning.load.throughputPerSecond}/s vs ${sCeiling?.load.throughputPerSecond ?? '-'}/s (x${ratio(sTerning.load.throughputPerSecond, sCeiling?.load.throughputPerSecond) ?? '-'})`, '>= x0.75', !!sCeiling && sTerning.load.throughputPerSecond >= 0.75 * sCeiling.load.throughputPerSecond),
    target('sustained throughput vs the naive design', `${sTerning.load.throughputPerSecond}/s vs ${sNaive?.load.throughputPerSecond ?? '-'}/s (x${ratio(sTerning.load.throughputPerSecond, sNaive?.load.throughputPerSecond) ?? '-'})`, '>= x10', !!sNaive && sTerning.load.throughputPerSecond >= 10 * sNaive.load.throughputPerSecond),
    target(`API memory during the burst of ${o.users}`, `${Math.round(apiPeakAfterBurstMb)} MB peak RSS`, '<= 256 MB', apiPeakAfterBurstMb <= 256),
    target('invariants in MySQL (every terning run)', [bigRun, backlogRun, sTerning, ...herdRuns.map((h) => h.terning)].every((r) => r.invariants?.ok) ? 'winners = min(S, N) = the 202s, the first tickets, none after a SOLD_OUT, no duplicates' : 'VIOLATED', 'all hold',
      [bigRun, backlogRun, sTerning, ...herdRuns.map((h) => h.terning)].every((r) => r.invariants?.ok)),
  ];
  const profiles = profileDir
    ? Object.fromEntries(readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => [f.replace('.cpuprofile', ''), hotSpots(join(profileDir, f))]))
    : undefined;
  const results: BenchResults = {
    at: new Date().toISOString(), options: o, loadAvg,
    herd: { runs: herdRuns, p95: herdP95 },
    big: { terning: bigRun, ceiling: bigCeiling, naive: bigNaive },
    backlog: backlogRun,
    sustained: { terning: sTerning, ceiling: sCeiling, naive: sNaive },
    memory: { apiPeakHerdMb, apiPeakAfterBurstMb, consumerPeakAfterBurstMb, apiPeakMb, consumerPeakMb, ceilingPeakAfterBurstMb },
    targets, profiles,
  };
  const files = writeResults(results, o.out, stamp);
  printSummary(results);
  say(`results: ${files.join(', ')}`);
} finally {
  await terning.stop().catch(() => {});
  await Promise.all(Object.values(refs).map((r) => r.proc.stop()));
  await pool.end();
}
