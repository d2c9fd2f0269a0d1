import type { BenchResults } from './report.ts';
import type { LoadSummary } from './stats.ts';
import { violated } from './targets.ts';
import type { BigDropRun } from './big-drop.ts';
import type { CrowdRun } from './crowd.ts';

const line = (name: string, l?: LoadSummary) =>
  l
    ? `  ${name.padEnd(10)} ${String(l.throughputPerSecond).padStart(7)}/s  p50 ${l.latencyMs.p50} p95 ${l.latencyMs.p95} p99 ${l.latencyMs.p99} max ${l.latencyMs.max} ms  ${JSON.stringify(l.byStatus)}${Object.keys(l.errors).length ? ` errors ${JSON.stringify(l.errors)}` : ''}`
    : `  ${name.padEnd(10)} -`;

function dropSummary(d: BigDropRun, applicants: number, out: string[]) {
  const r = d.terning;
  out.push(
    `\nbig drop of ${applicants} for ${applicants} units (every apply wins):`,
    line('ceiling', d.ceiling?.load),
    line('terning', r.load),
  );
  out.push(
    `  answers: ${r.won} WON (202); every winner persisted (MySQL) ${r.persistedAfterLastAnswerMs ?? '-'} ms after the last answer; persisted at ${r.persistedPerSecond ?? '-'} winners/s as they were answered (peak ${r.peakPersistedPerSecond}/s over 500 ms)`,
  );
  out.push(`  invariants ${JSON.stringify(r.invariants)}`);
  out.push(
    `  CPU per accepted apply (/proc, until every winner was persisted): terning ${r.cpu.serverUs} us (API ${r.cpu.apiUs}, consumer ${r.cpu.consumerUs}); the ceiling ${d.ceiling?.cpu.serverUs ?? '-'} us; the load generator ${r.cpu.generatorUs} us beside terning`,
  );
  out.push(`  API peak RSS ${Math.round(d.apiPeakMb)} MB`);
  if (d.backlog)
    out.push(
      `  consumers persisting a backlog of ${d.backlog.won} winners (answered with none running): ${d.backlog.persistedPerSecond ?? '-'}/s (peak ${d.backlog.peakPersistedPerSecond}/s)`,
    );
}

function crowdSummary(c: CrowdRun, users: number, stock: number, out: string[]) {
  const r = c.terning;
  const so = r.cpu.soldOut;
  out.push(
    `\ncrowd of ${users} for ${stock} units${c.winnersBefore ? `, on an event already holding ${c.winnersBefore} winners` : ''}:`,
    line('ceiling', c.ceiling?.load),
    line('terning', r.load),
    `  answers: ${r.won} WON (202), ${r.soldOut} SOLD_OUT (409); every winner persisted (MySQL) ${r.persistedAfterLastAnswerMs ?? '-'} ms after the last answer`,
    `  invariants ${JSON.stringify(r.invariants)}`,
    `  CPU per answer (/proc): terning ${r.cpu.serverUs} us (API ${r.cpu.apiUs}, consumer ${r.cpu.consumerUs}); per SOLD_OUT answer ${so ? `${so.serverUs} us (API ${so.apiUs}, consumer ${so.consumerUs}; ${so.answers} answers over ${so.seconds} s)` : '-'}; the ceiling ${c.ceiling?.cpu.serverUs ?? '-'} us; the load generator ${r.cpu.generatorUs} us beside terning`,
    `  API peak RSS ${Math.round(c.apiPeakMb)} MB`,
  );
}

/** The figures a person reads in the terminal; the JSON and the chart hold everything. */
export function printSummary(r: BenchResults) {
  const out: string[] = [];
  const { herd, big, backlog, sustained, memory } = r;
  if (r.drop) dropSummary(r.drop, r.options.drop, out);
  if (r.crowd) crowdSummary(r.crowd, r.options.users, r.options.stock, out);
  if (herd && big && backlog && sustained && memory) {
    out.push(`\nherd of ${r.options.herd} (one connection each), per round:`);
    herd.runs.forEach((h, i) =>
      out.push(`round ${i + 1}`, line('ceiling', h.ceiling?.load), line('terning', h.terning.load), line('naive', h.naive?.load)),
    );
    if (r.herdNew) {
      out.push(
        `\nherd of ${r.options.herdNew} on new connections (at most ${Math.min(r.options.herdNewOpen, r.options.herdNew)} open at once):`,
        line('ceiling', r.herdNew.ceiling?.load),
        line('terning', r.herdNew.terning.load),
      );
    }
    const b = big.terning;
    out.push(
      `\nburst of ${r.options.users} for ${r.options.stock} units:`,
      line('ceiling', big.ceiling?.load),
      line('terning', b.load),
      line('naive', big.naive?.load),
    );
    out.push(
      `  answers: ${b.won} WON (202), ${b.soldOut} SOLD_OUT (409), each final; every winner persisted (MySQL) ${b.persistedAfterLastAnswerMs} ms after the last answer, ${b.persistedPerSecond}/s (peak ${b.peakPersistedPerSecond}/s over 500 ms)`,
    );
    out.push(`  invariants ${JSON.stringify(b.invariants)}`);
    const so = b.cpu.soldOut;
    out.push(
      `  CPU per answer (/proc): terning ${b.cpu.serverUs} us (API ${b.cpu.apiUs}, consumer ${b.cpu.consumerUs}); per SOLD_OUT answer ${so ? `${so.serverUs} us (API ${so.apiUs}, consumer ${so.consumerUs}; ${so.answers} answers over ${so.seconds} s)` : '-'}; the ceiling ${big.ceiling?.cpu.serverUs ?? '-'} us; the load generator ${b.cpu.generatorUs} us beside terning, ${big.ceiling?.cpu.generatorUs ?? '-'} us beside the ceiling`,
    );
    out.push(
      `  consumers persisting a backlog of ${backlog.won} winners: ${backlog.persistedPerSecond}/s (peak ${backlog.peakPersistedPerSecond}/s)`,
    );
    out.push(
      `\nsustained ${r.options.sustainSeconds} s:`,
      line('ceiling', sustained.ceiling?.load),
      line('terning', sustained.terning.load),
      line('naive', sustained.naive?.load),
    );
    const st = sustained.terning.cpu;
    out.push(
      `  CPU per accepted apply (/proc): terning ${st.serverUs} us (API ${st.apiUs}, consumer ${st.consumerUs}); the ceiling ${sustained.ceiling?.cpu.serverUs ?? '-'} us, the naive design ${sustained.naive?.cpu.serverUs ?? '-'} us (its process; MySQL's not counted); the load generator ${st.generatorUs} us beside terning`,
    );
    out.push(
      `\nmemory: API peak ${Math.round(memory.apiPeakAfterBurstMb)} MB in the burst (${Math.round(memory.apiPeakHerdMb)} MB in the herd rounds, ${Math.round(memory.apiPeakMb)} MB overall), consumer ${Math.round(memory.consumerPeakMb)} MB; the trivial-Koa ceiling ${Math.round(memory.ceilingPeakAfterBurstMb ?? 0)} MB after the same burst`,
    );
  }
  out.push(
    `\nload average (1, 5, 15 min): ${Object.entries(r.loadAvg)
      .map(([k, v]) => `${k} ${v.map((n) => n.toFixed(2)).join(' ')}`)
      .join('; ')}`,
  );
  out.push('\ntargets:');
  for (const t of r.targets)
    out.push(
      `  ${t.met ? (t.invariant ? 'HELD  ' : 'MET   ') : t.invariant ? 'BROKEN' : 'MISSED'} ${t.name}: ${t.measured} (bar ${t.bar})`,
    );
  const broken = violated(r.targets);
  out.push(broken.length ? `\ninvariants VIOLATED (${broken.map((t) => t.name).join('; ')}): the run fails` : '\nevery invariant held');
  if (r.profiles) {
    for (const [name, p] of Object.entries(r.profiles)) {
      out.push(
        `\nprofile ${name}: ${p.packages
          .slice(0, 8)
          .map((x) => `${x.name} ${x.selfPct}%`)
          .join(', ')}`,
      );
      for (const f of p.functions.slice(0, 12)) out.push(`  ${String(f.selfPct).padStart(5)}%  ${f.name}  ${f.where}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
