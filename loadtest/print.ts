import type { BenchResults } from './report.ts';
import type { LoadSummary } from './stats.ts';
import { violated } from './targets.ts';

const line = (name: string, l?: LoadSummary) => l
  ? `  ${name.padEnd(10)} ${String(l.throughputPerSecond).padStart(7)}/s  p50 ${l.latencyMs.p50} p95 ${l.latencyMs.p95} p99 ${l.latencyMs.p99} max ${l.latencyMs.max} ms  ${JSON.stringify(l.byStatus)}${Object.keys(l.errors).length ? ` errors ${JSON.stringify(l.errors)}` : ''}`
  : `  ${name.padEnd(10)} -`;

/** The figures a person reads in the terminal; the JSON and the chart hold everything. */
export function printSummary(r: BenchResults) {
  const out: string[] = [];
  out.push(`\nherd of ${r.options.herd} (one connection each), per round:`);
  r.herd.runs.forEach((h, i) => out.push(`round ${i + 1}`, line('ceiling', h.ceiling?.load), line('terning', h.terning.load), line('naive', h.naive?.load)));
  if (r.herdNew) {
    out.push(`\nherd of ${r.options.herdNew} on new connections (at most ${Math.min(r.options.herdNewOpen, r.options.herdNew)} open at once):`, line('ceiling', r.herdNew.ceiling?.load), line('terning', r.herdNew.terning.load));
  }
  const b = r.big.terning;
  out.push(`\nburst of ${r.options.users} for ${r.options.stock} units:`, line('ceiling', r.big.ceiling?.load), line('terning', b.load), line('naive', r.big.naive?.load));
  out.push(`  answers: ${b.won} WON (202), ${b.soldOut} SOLD_OUT (409), each final; every winner persisted (MySQL) ${b.persistedAfterLastAnswerMs} ms after the last answer, ${b.persistedPerSecond}/s (peak ${b.peakPersistedPerSecond}/s over 500 ms)`);
  out.push(`  invariants ${JSON.stringify(b.invariants)}`);
  const so = b.cpu.soldOut;
  out.push(`  CPU per answer (/proc): terning ${b.cpu.serverUs} us (API ${b.cpu.apiUs}, consumer ${b.cpu.consumerUs}); per SOLD_OUT answer ${so ? `${so.serverUs} us (API ${so.apiUs}, consumer ${so.consumerUs}; ${so.answers} answers over ${so.seconds} s)` : '-'}; the ceiling ${r.big.ceiling?.cpu.serverUs ?? '-'} us; the load generator ${b.cpu.generatorUs} us beside terning, ${r.big.ceiling?.cpu.generatorUs ?? '-'} us beside the ceiling`);
  out.push(`  consumers persisting a backlog of ${r.backlog.won} winners: ${r.backlog.persistedPerSecond}/s (peak ${r.backlog.peakPersistedPerSecond}/s)`);
  out.push(`\nsustained ${r.options.sustainSeconds} s:`, line('ceiling', r.sustained.ceiling?.load), line('terning', r.sustained.terning.load), line('naive', r.sustained.naive?.load));
  const st = r.sustained.terning.cpu;
  out.push(`  CPU per accepted apply (/proc): terning ${st.serverUs} us (API ${st.apiUs}, consumer ${st.consumerUs}); the ceiling ${r.sustained.ceiling?.cpu.serverUs ?? '-'} us, the naive design ${r.sustained.naive?.cpu.serverUs ?? '-'} us (its process; MySQL's not counted); the load generator ${st.generatorUs} us beside terning`);
  out.push(`\nmemory: API peak ${Math.round(r.memory.apiPeakAfterBurstMb)} MB in the burst (${Math.round(r.memory.apiPeakHerdMb)} MB in the herd rounds, ${Math.round(r.memory.apiPeakMb)} MB overall), consumer ${Math.round(r.memory.consumerPeakMb)} MB; the trivial-Koa ceiling ${Math.round(r.memory.ceilingPeakAfterBurstMb ?? 0)} MB after the same burst`);
  out.push(`\nload average (1, 5, 15 min): ${Object.entries(r.loadAvg).map(([k, v]) => `${k} ${v.map((n) => n.toFixed(2)).join(' ')}`).join('; ')}`);
  out.push('\ntargets:');
  for (const t of r.targets) out.push(`  ${t.met ? (t.invariant ? 'HELD  ' : 'MET   ') : (t.invariant ? 'BROKEN' : 'MISSED')} ${t.name}: ${t.measured} (bar ${t.bar})`);
  const broken = violated(r.targets);
  out.push(broken.length ? `\ninvariants VIOLATED (${broken.map((t) => t.name).join('; ')}): the run fails` : '\nevery invariant held');
  if (r.profiles) {
    for (const [name, p] of Object.entries(r.profiles)) {
      out.push(`\nprofile ${name}: ${p.packages.slice(0, 8).map((x) => `${x.name} ${x.selfPct}%`).join(', ')}`);
      for (const f of p.functions.slice(0, 12)) out.push(`  ${String(f.selfPct).padStart(5)}%  ${f.name}  ${f.where}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
