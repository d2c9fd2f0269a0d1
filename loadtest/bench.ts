import { mkdirSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createPool } from 'mysql2/promise';
import { ensureDatabase } from '../core/adapters/mysql/sequelize.ts';
import { parseOptions } from './options.ts';
import { Proc, freePort, httpReady, waitFor } from './processes.ts';
import { migrate, startTerning } from './terning.ts';
import { referenceRun, terningRun, type Load, type Reference, type TerningRun, type ReferenceRun } from './scenarios.ts';
import { median, type LoadSummary } from './stats.ts';
import { BARS, failures, invariant, target, violated, type Target } from './targets.ts';
import { hotSpots } from './profile.ts';
import { writeResults, type BenchResults } from './report.ts';
import { printSummary } from './print.ts';
import { bigDrop, bigDropTargets, type BigDropRun } from './big-drop.ts';
import { crowd, crowdTargets } from './crowd.ts';
import { proofCosts } from './proof-costs.ts';
import { watchersBench } from './watchers.ts';

const o = parseOptions(process.argv.slice(2));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(o.out, { recursive: true });
const profileDir = o.profile ? join(o.out, `profile-${stamp}`) : undefined;
const say = (s: string) =>
  process.stdout.write(
    `[bench] ${s}  (load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})\n`,
  );
const strip = <T extends object>(r: T & { result?: unknown }): T => {
  const { result: _, ...rest } = r;
  return rest as T;
};

// Issue 22's costs, measured in this process before the services start (loadtest/proof-costs.ts).
if (o.scenario === 'proof' || o.scenario === 'all') await proofCosts();
if (o.scenario === 'proof') process.exit(0);
// The stock stream on a real API process, with its own services (loadtest/watchers.ts).
if (o.scenario === 'watchers') {
  const run = await watchersBench(o);
  process.exit(run.soldOutSeenBy === run.connected && run.connected === o.watchers ? 0 : 1);
}

say(
  `preparing: ${o.apis} API(s), ${o.consumers} consumer(s), ${o.partitions} partition(s), ${o.source ? 'TypeScript through tsx' : 'compiled (npm run build)'}, database ${o.mysqlUrl}`,
);
await ensureDatabase(o.mysqlUrl);
migrate(o.mysqlUrl);
const pool = createPool({ uri: o.mysqlUrl, connectionLimit: 4 });
const terning = await startTerning({
  apis: o.apis,
  consumers: o.consumers,
  partitions: o.partitions,
  mysqlUrl: o.mysqlUrl,
  cpuProfileDir: profileDir,
  apiFlags: o.apiFlags,
  source: o.source,
});
const refs: { ceiling?: Reference; naive?: Reference } = {};
const contract = terning.config.jwt;
const loadAvg: Record<string, number[]> = { start: loadavg() };
/** Above this many applicants the naive design is not run on the big burst: at ~2,000/s it would take minutes. */
const NAIVE_BURST_MAX = 50_000;
/** The backlog scenario's size: every applicant wins there, and winners are what consumers persist. */
const BACKLOG_MAX = 20_000;

try {
  if (o.references) {
    const references = [
      ['ceiling', 'ceiling.ts', {}],
      ['naive', 'naive.ts', { MYSQL_URL: o.mysqlUrl }],
    ] as const;
    for (const [name, file, env] of o.scenario === 'all' ? references : references.slice(0, 1)) {
      const port = await freePort();
      const proc = new Proc(name, ['--import', 'tsx', `loadtest/references/${file}`], { ...env, PORT: String(port) });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(name, httpReady(url), proc);
      refs[name] = { url, proc };
    }
  }
  const herd: Load = { kind: 'burst', users: o.herd, connections: o.herd };
  const herdNew: Load = { kind: 'burst', users: o.herdNew, connections: Math.min(o.herdNewOpen, o.herdNew), fresh: true };
  const big: Load = { kind: 'burst', users: o.users, connections: o.connections, pipelined: o.pipelined };
  const backlog: Load = { ...big, users: Math.min(o.users, BACKLOG_MAX) };
  const sustained: Load = { kind: 'sustained', users: 0, connections: o.sustainConnections, durationMs: o.sustainSeconds * 1000 };

  say('warming up (JIT) every server with a small burst');
  const warm: Load = { kind: 'burst', users: 500, connections: 500 };
  await terningRun(terning, pool, 100, warm, { check: false });
  if (refs.ceiling) await referenceRun(refs.ceiling, warm, contract);
  if (refs.naive) await referenceRun(refs.naive, warm, contract, { pool, stock: 100 });

  let drop: BigDropRun | undefined;
  const runDrop = async () => {
    say(`big drop: ${o.drop} applicants for ${o.drop} units over ${o.connections} keep-alive connections, one token each`);
    drop = await bigDrop(terning, pool, contract, o.drop, o.connections, { ceiling: refs.ceiling, backlog: o.scenario === 'big-drop' });
    say(
      `  ${drop.terning.load.throughputPerSecond}/s (ceiling ${drop.ceiling?.load.throughputPerSecond ?? '-'}/s), ${drop.terning.won} WON, every winner persisted ${drop.terning.persistedAfterLastAnswerMs ?? '-'} ms after the last answer; API peak RSS ${Math.round(drop.apiPeakMb)} MB${drop.backlog ? `; a backlog of as many persisted at ${drop.backlog.persistedPerSecond ?? '-'}/s` : ''}`,
    );
    loadAvg.drop = loadavg();
  };
  if (o.scenario === 'crowd') {
    say(
      `crowd: ${o.users} applicants for ${o.stock} units over ${o.connections} keep-alive connections${o.winnersBefore ? `, on an event that first takes ${o.winnersBefore} winners` : ''}`,
    );
    const run = await crowd(terning, pool, contract, { ...o, ceiling: refs.ceiling });
    loadAvg.crowd = loadavg();
    await terning.stop();
    await Promise.all(Object.values(refs).map((r) => r.proc.stop()));
    const targets = crowdTargets(run, o);
    const results: BenchResults = { at: new Date().toISOString(), options: o, loadAvg, crowd: run, targets };
    const files = writeResults(results, o.out, stamp);
    printSummary(results);
    say(`results: ${files.join(', ')}`);
    if (violated(targets).length) process.exitCode = 1;
  } else if (o.scenario === 'big-drop') {
    await runDrop();
    await terning.stop();
    await Promise.all(Object.values(refs).map((r) => r.proc.stop()));
    const targets = bigDropTargets(drop!, o.drop);
    const results: BenchResults = { at: new Date().toISOString(), options: o, loadAvg, drop, targets };
    const files = writeResults(results, o.out, stamp);
    printSummary(results);
    say(`results: ${files.join(', ')}`);
    if (violated(targets).length) process.exitCode = 1;
  } else {
    say(
      `big burst: ${o.users} applicants for ${o.stock} units over ${o.connections} connections, ${o.pipelined ? 'pipelined' : 'one request at a time per connection, as behind a proxy'}`,
    );
    // First, so that its peak memory is its own: the memory a herd of new connections took is not all
    // given back to the system.
    for (const p of [...terning.apis, ...terning.consumers]) p.resetPeak();
    const bigRun = strip(await terningRun(terning, pool, o.stock, big));
    const apiPeakAfterBurstMb = Math.max(...terning.apis.map((a) => (a.sample(), a.peakRssMb)));
    const consumerPeakAfterBurstMb = Math.max(...terning.consumers.map((c) => (c.sample(), c.peakRssMb)));
    const consumerPeaks = [consumerPeakAfterBurstMb];
    say(
      `  ${bigRun.load.throughputPerSecond}/s, p95 ${bigRun.load.latencyMs.p95} ms, ${bigRun.won} WON and ${bigRun.soldOut} SOLD_OUT, every winner persisted ${bigRun.persistedAfterLastAnswerMs} ms after the last answer; API peak RSS ${Math.round(apiPeakAfterBurstMb)} MB`,
    );
    refs.ceiling?.proc.resetPeak();
    const bigCeiling = refs.ceiling && strip(await referenceRun(refs.ceiling, big, contract));
    const ceilingPeakAfterBurstMb = refs.ceiling ? (refs.ceiling.proc.sample(), refs.ceiling.proc.peakRssMb) : undefined;
    say(`  ceiling ${bigCeiling?.load.throughputPerSecond ?? '-'}/s`);
    if (o.drop > 0) await runDrop();
    const bigNaive =
      refs.naive && o.users <= NAIVE_BURST_MAX ? strip(await referenceRun(refs.naive, big, contract, { pool, stock: o.stock })) : undefined;
    if (refs.naive && !bigNaive)
      say(`  the naive design is not run on ${o.users} applicants (over ${NAIVE_BURST_MAX}: minutes at its ~2,000/s)`);
    loadAvg.big = loadavg();

    for (const p of terning.apis) p.resetPeak();
    const herdRuns: { ceiling?: ReferenceRun; terning: TerningRun; naive?: ReferenceRun }[] = [];
    for (let r = 1; r <= o.rounds; r++) {
      say(`herd round ${r}/${o.rounds}: ${o.herd} applicants at once, one connection each`);
      const ceiling = refs.ceiling && strip(await referenceRun(refs.ceiling, herd, contract));
      const t = strip(await terningRun(terning, pool, o.stock, herd));
      const naive = refs.naive && strip(await referenceRun(refs.naive, herd, contract, { pool, stock: o.stock }));
      herdRuns.push({ ceiling, terning: t, naive });
      say(
        `  p95 ceiling ${ceiling?.load.latencyMs.p95 ?? '-'} ms, terning ${t.load.latencyMs.p95} ms, naive ${naive?.load.latencyMs.p95 ?? '-'} ms`,
      );
    }
    loadAvg.herd = loadavg();
    const apiPeakHerdMb = Math.max(...terning.apis.map((a) => (a.sample(), a.peakRssMb)));

    let herdNewRun: { ceiling?: ReferenceRun; terning: TerningRun } | undefined;
    if (o.herdNew > 0) {
      // One in twenty wins, as in the default burst: a herd is mostly the people who come too late.
      const herdNewStock = Math.min(o.stock, Math.ceil(o.herdNew / 20));
      say(
        `herd on new connections: ${o.herdNew} applicants for ${herdNewStock} units, each on a connection of its own (at most ${herdNew.connections} open at once)`,
      );
      const ceiling = refs.ceiling && strip(await referenceRun(refs.ceiling, herdNew, contract));
      const t = strip(await terningRun(terning, pool, herdNewStock, herdNew));
      herdNewRun = { ceiling, terning: t };
      say(
        `  ceiling ${ceiling?.load.throughputPerSecond ?? '-'}/s p95 ${ceiling?.load.latencyMs.p95 ?? '-'} ms, terning ${t.load.throughputPerSecond}/s p95 ${t.load.latencyMs.p95} ms`,
      );
      loadAvg.herdNew = loadavg();
    }

    // Every applicant wins here, so that the backlog holds a row to persist for each of them.
    say(`consumer catch-up: no consumer during a burst of ${backlog.users} for as many units; new ones persist the backlog`);
    const backlogRun = strip(await terningRun(terning, pool, backlog.users, backlog, { backlog: true }));
    consumerPeaks.push(...terning.consumers.map((c) => (c.sample(), c.peakRssMb)));
    say(`  ${backlogRun.persistedPerSecond} winners/s persisting the backlog`);
    loadAvg.backlog = loadavg();

    say(`sustained: ${o.sustainSeconds} s, ${o.sustainConnections} keep-alive connections, a new user per request, every apply wins`);
    const sCeiling = refs.ceiling && strip(await referenceRun(refs.ceiling, sustained, contract));
    const sTerning = strip(await terningRun(terning, pool, 10_000_000, sustained));
    const sNaive = refs.naive && strip(await referenceRun(refs.naive, sustained, contract, { pool, stock: 10_000_000 }));
    say(
      `  ceiling ${sCeiling?.load.throughputPerSecond ?? '-'}/s, terning ${sTerning.load.throughputPerSecond}/s, naive ${sNaive?.load.throughputPerSecond ?? '-'}/s`,
    );
    loadAvg.sustained = loadavg();

    const apiPeakMb = Math.max(apiPeakHerdMb, ...terning.apis.map((a) => (a.sample(), a.peakRssMb)));
    const consumerPeakMb = Math.max(...consumerPeaks, ...terning.consumers.map((c) => (c.sample(), c.peakRssMb)));
    await terning.stop();
    await Promise.all(Object.values(refs).map((r) => r.proc.stop()));

    const p95 = (xs: (LoadSummary | undefined)[]) => median(xs.filter((x): x is LoadSummary => !!x).map((x) => x.latencyMs.p95));
    const herdP95 = {
      ceiling: p95(herdRuns.map((h) => h.ceiling?.load)),
      terning: p95(herdRuns.map((h) => h.terning.load)),
      naive: p95(herdRuns.map((h) => h.naive?.load)),
    };
    const herdFailures = herdRuns.reduce((a, h) => a + failures(h.terning.load), 0);
    const ratio = (a: number, b?: number) => (b ? Math.round((a / b) * 100) / 100 : undefined);
    const x = (a: number, b?: number) => `x${ratio(a, b) ?? '-'}`;
    const herdRatios = herdRuns.map((h) => ratio(h.terning.load.latencyMs.p95, h.ceiling?.load.latencyMs.p95));
    const soldOutCpu = bigRun.cpu.soldOut;
    const tput = (r?: { load: LoadSummary }) => r?.load.throughputPerSecond;
    const allRuns = [bigRun, backlogRun, sTerning, ...herdRuns.map((h) => h.terning), ...(herdNewRun ? [herdNewRun.terning] : [])];
    const targets: Target[] = [
      ...(drop ? bigDropTargets(drop, o.drop) : []),
      invariant(`herd of ${o.herd}: no errors`, `${herdFailures} failed answers`, '0', herdFailures === 0),
      target(
        `herd of ${o.herd}: p95 vs the trivial-Koa ceiling, every round`,
        herdRuns.map((h) => `${h.terning.load.latencyMs.p95} vs ${h.ceiling?.load.latencyMs.p95 ?? '-'} ms`).join(', ') +
          ` (${herdRatios.map((r) => `x${r ?? '-'}`).join(', ')})`,
        '<= x1.3',
        herdRatios.every((r) => r !== undefined && r <= 1.3),
      ),
      target(`herd of ${o.herd}: the original's bar`, `p95 ${herdP95.terning} ms`, '< 1000 ms', herdP95.terning < 1000),
      ...(herdNewRun
        ? [
            invariant(
              `herd of ${o.herdNew} on new connections: no errors or timeouts`,
              `${failures(herdNewRun.terning.load)} failed answers`,
              '0',
              failures(herdNewRun.terning.load) === 0,
            ),
            target(
              `herd of ${o.herdNew} on new connections: throughput vs the ceiling`,
              `${tput(herdNewRun.terning)}/s vs ${tput(herdNewRun.ceiling) ?? '-'}/s (${x(herdNewRun.terning.load.throughputPerSecond, tput(herdNewRun.ceiling))})`,
              '>= x0.6',
              !!herdNewRun.ceiling && herdNewRun.terning.load.throughputPerSecond >= 0.6 * herdNewRun.ceiling.load.throughputPerSecond,
            ),
            target(
              `herd of ${o.herdNew} on new connections: p95 vs the ceiling`,
              `${herdNewRun.terning.load.latencyMs.p95} vs ${herdNewRun.ceiling?.load.latencyMs.p95 ?? '-'} ms (${x(herdNewRun.terning.load.latencyMs.p95, herdNewRun.ceiling?.load.latencyMs.p95)})`,
              '<= x1.5',
              !!herdNewRun.ceiling && herdNewRun.terning.load.latencyMs.p95 <= 1.5 * herdNewRun.ceiling.load.latencyMs.p95,
            ),
          ]
        : []),
      invariant(`burst of ${o.users}: no errors or timeouts`, `${failures(bigRun.load)} failed answers`, '0', failures(bigRun.load) === 0),
      invariant(
        `burst of ${o.users}: arrival order (${o.apis} API, ${o.partitions} partition(s))`,
        `${bigRun.won} 202s for ${o.stock} units, ${bigRun.invariants?.winnersOutOfOrder ?? '-'} winners out of order, ${bigRun.invariants?.wonAfterSoldOut ?? '-'} won after a SOLD_OUT`,
        `${o.stock}, 0, 0`,
        bigRun.won === Math.min(o.stock, o.users) && bigRun.invariants?.winnersOutOfOrder === 0 && bigRun.invariants.wonAfterSoldOut === 0,
      ),
      target(
        `burst of ${o.users}: every winner persisted after the last answer`,
        `${bigRun.persistedAfterLastAnswerMs ?? 'never'} ms`,
        '<= 2000 ms',
        (bigRun.persistedAfterLastAnswerMs ?? Infinity) <= 2000,
      ),
      target(
        `burst of ${o.users}: throughput vs the ceiling hit the same way`,
        `${tput(bigRun)}/s vs ${tput(bigCeiling) ?? '-'}/s (${x(bigRun.load.throughputPerSecond, tput(bigCeiling))})`,
        '>= x0.75',
        !!bigCeiling && bigRun.load.throughputPerSecond >= 0.75 * bigCeiling.load.throughputPerSecond,
      ),
      target(
        `API memory during the burst of ${o.users}`,
        `${Math.round(apiPeakAfterBurstMb)} MB peak RSS`,
        '<= 200 MB',
        apiPeakAfterBurstMb <= 200,
      ),
      target(
        'CPU per SOLD_OUT answer (API + consumer, /proc)',
        soldOutCpu
          ? `${soldOutCpu.serverUs} us (API ${soldOutCpu.apiUs}, consumer ${soldOutCpu.consumerUs}; ${soldOutCpu.answers} answers over ${soldOutCpu.seconds} s); generator ${bigRun.cpu.generatorUs} us, ceiling ${bigCeiling?.cpu.serverUs ?? '-'} us`
          : 'no stretch of SOLD_OUT answers long enough to read',
        `<= ${BARS.soldOutUs} us`,
        !!soldOutCpu && soldOutCpu.serverUs <= BARS.soldOutUs,
      ),
      target(
        'CPU per accepted apply (API + consumer, /proc; sustained, every apply wins)',
        `${sTerning.cpu.serverUs} us (API ${sTerning.cpu.apiUs}, consumer ${sTerning.cpu.consumerUs}); generator ${sTerning.cpu.generatorUs} us, ceiling ${sCeiling?.cpu.serverUs ?? '-'} us`,
        `<= ${BARS.acceptedUs} us`,
        sTerning.cpu.serverUs <= BARS.acceptedUs,
      ),
      target(
        'consumers persisting a backlog',
        `${backlogRun.persistedPerSecond ?? 0} winners/s`,
        '>= 20000/s',
        (backlogRun.persistedPerSecond ?? 0) >= 20_000,
      ),
      target(
        'sustained accepted applies vs the ceiling',
        `${tput(sTerning)}/s vs ${tput(sCeiling) ?? '-'}/s (${x(sTerning.load.throughputPerSecond, tput(sCeiling))})`,
        '>= x0.35',
        !!sCeiling && sTerning.load.throughputPerSecond >= 0.35 * sCeiling.load.throughputPerSecond,
      ),
      target(
        'sustained accepted applies vs the naive design',
        `${tput(sTerning)}/s vs ${tput(sNaive) ?? '-'}/s (${x(sTerning.load.throughputPerSecond, tput(sNaive))})`,
        '>= x10',
        !!sNaive && sTerning.load.throughputPerSecond >= 10 * sNaive.load.throughputPerSecond,
      ),
      invariant(
        'invariants in MySQL (every terning run)',
        allRuns.every((r) => r.invariants?.ok)
          ? 'winners = min(S, N) = the 202s, the first tickets, none after a SOLD_OUT, no duplicates'
          : `VIOLATED: ${allRuns
              .filter((r) => !r.invariants?.ok)
              .map((r) => `${r.eventId} ${JSON.stringify(r.invariants ?? 'not checked')}`)
              .join('; ')}`,
        'all hold',
        allRuns.every((r) => r.invariants?.ok),
      ),
    ];
    const profiles = profileDir
      ? Object.fromEntries(
          readdirSync(profileDir)
            .filter((f) => f.endsWith('.cpuprofile'))
            .map((f) => [f.replace('.cpuprofile', ''), hotSpots(join(profileDir, f))]),
        )
      : undefined;
    const results: BenchResults = {
      at: new Date().toISOString(),
      options: o,
      loadAvg,
      herd: { runs: herdRuns, p95: herdP95 },
      herdNew: herdNewRun,
      big: { terning: bigRun, ceiling: bigCeiling, naive: bigNaive },
      drop,
      backlog: backlogRun,
      sustained: { terning: sTerning, ceiling: sCeiling, naive: sNaive },
      memory: { apiPeakHerdMb, apiPeakAfterBurstMb, consumerPeakAfterBurstMb, apiPeakMb, consumerPeakMb, ceilingPeakAfterBurstMb },
      targets,
      profiles,
    };
    const files = writeResults(results, o.out, stamp);
    printSummary(results);
    say(`results: ${files.join(', ')}`);
    if (violated(targets).length) process.exitCode = 1;
  }
} finally {
  await terning.stop().catch(() => {});
  await Promise.all(Object.values(refs).map((r) => r.proc.stop()));
  await pool.end();
}
