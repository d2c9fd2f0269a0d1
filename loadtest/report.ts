import { writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions } from './options.ts';
import type { ReferenceRun, TerningRun } from './scenarios.ts';
import type { Target } from './targets.ts';
import type { HotSpot } from './profile.ts';
import { barChart, lineChart } from './chart.ts';
import type { CrowdRun } from './crowd.ts';
import type { BigDropRun } from './big-drop.ts';

export interface BenchResults {
  at: string;
  options: BenchOptions;
  loadAvg: Record<string, number[]>;
  drop?: BigDropRun;
  crowd?: CrowdRun;
  herd?: {
    runs: { ceiling?: ReferenceRun; terning: TerningRun; naive?: ReferenceRun }[];
    p95: { ceiling: number; terning: number; naive: number };
  };
  herdNew?: { ceiling?: ReferenceRun; terning: TerningRun };
  big?: { terning: TerningRun; ceiling?: ReferenceRun; naive?: ReferenceRun };
  backlog?: TerningRun;
  sustained?: { terning: TerningRun; ceiling?: ReferenceRun; naive?: ReferenceRun };
  memory?: {
    apiPeakHerdMb: number;
    apiPeakAfterBurstMb: number;
    consumerPeakAfterBurstMb: number;
    apiPeakMb: number;
    consumerPeakMb: number;
    ceilingPeakAfterBurstMb?: number;
  };
  targets: Target[];
  profiles?: Record<string, { functions: HotSpot[]; packages: { name: string; selfPct: number }[] }>;
}

const COLORS = { terning: '#1f77b4', ceiling: '#2ca02c', naive: '#d62728', p95: '#ff7f0e', max: '#bbb', persisted: '#9467bd' };

/** Latency over time, and winners told versus persisted over time, for one terning run. */
function runCharts(title: string, r: TerningRun): string {
  const t0 = r.firstApplyAt;
  const s = (t: number) => (t - t0) / 1000;
  const answered = r.timeline.filter((p) => p.n > 0);
  const latency = lineChart({
    title: `${title}: apply latency over time`,
    xLabel: 'seconds since the first apply',
    yLabel: 'ms',
    series: [
      { name: 'p50', color: COLORS.terning, points: answered.map((p) => [s(p.t), p.p50]) },
      { name: 'p95', color: COLORS.p95, points: answered.map((p) => [s(p.t), p.p95]) },
      { name: 'max', color: COLORS.max, points: answered.map((p) => [s(p.t), p.max]) },
    ],
  });
  const flow = lineChart({
    title: `${title}: told WON (202) versus persisted`,
    xLabel: 'seconds since the first apply',
    yLabel: 'winners',
    series: [
      { name: 'told WON (202)', color: COLORS.terning, points: [[0, 0], ...r.timeline.map((p): [number, number] => [s(p.t), p.accepted])] },
      {
        name: 'persisted (MySQL)',
        color: COLORS.persisted,
        points: r.persisted.filter((p) => p.t >= t0).map((p) => [s(p.t), p.persisted]),
      },
    ],
  });
  return `${latency}\n${flow}`;
}

function html(r: BenchResults): string {
  const rows = r.targets
    .map(
      (t) =>
        `<tr><td style="color:${t.met ? '#2ca02c' : '#d62728'}">${t.met ? 'met' : 'MISSED'}</td><td>${t.name}</td><td>${t.measured}</td><td>${t.bar}</td></tr>`,
    )
    .join('');
  const tput = (name: string, x?: ReferenceRun | TerningRun, color = COLORS.terning) =>
    x ? [{ name, value: x.load.throughputPerSecond, color }] : [];
  const { herd, big, backlog, sustained } = r;
  return `<!doctype html><meta charset="utf-8"><title>terning benchmark ${r.at}</title>
<style>body{font-family:sans-serif;max-width:820px;margin:24px auto;color:#222}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}</style>
<h1>terning benchmark</h1><p>${r.at}; ${r.options.apis} API, ${r.options.consumers} consumer, ${r.options.partitions} partition(s); load average ${r.loadAvg.start?.map((x) => x.toFixed(2)).join(' ')} at the start.</p>
<table><tr><th></th><th>target</th><th>measured</th><th>bar</th></tr>${rows}</table>
${
  r.drop
    ? `<h2>Big drop of ${r.options.drop} for as many units</h2>
${runCharts('big drop', r.drop.terning)}`
    : ''
}
${
  herd && big && backlog && sustained
    ? `<h2>Herd of ${r.options.herd}, one connection each (median of ${herd.runs.length})</h2>
${barChart({
  title: 'apply latency p95',
  unit: 'ms',
  bars: [
    { name: 'trivial Koa (ceiling)', value: herd.p95.ceiling, color: COLORS.ceiling },
    { name: 'terning', value: herd.p95.terning, color: COLORS.terning },
    { name: 'naive MySQL transaction', value: herd.p95.naive, color: COLORS.naive },
  ],
})}
<h2>Burst of ${r.options.users} for ${r.options.stock} units</h2>
${runCharts(`burst of ${r.options.users}`, big.terning)}
<h2>Consumers persisting a backlog of ${r.options.users} winners</h2>
${runCharts('backlog', backlog)}
<h2>Sustained, ${r.options.sustainSeconds} s, distinct users</h2>
${barChart({ title: 'throughput', unit: 'applies/s', bars: [...tput('trivial Koa (ceiling)', sustained.ceiling, COLORS.ceiling), ...tput('terning', sustained.terning), ...tput('naive MySQL transaction', sustained.naive, COLORS.naive)] })}
${runCharts('sustained', sustained.terning)}`
    : ''
}`;
}

/** Writes <stamp>.json and <stamp>.html, and copies them to latest.json and latest.html. */
export function writeResults(r: BenchResults, dir: string, stamp: string): string[] {
  const json = join(dir, `${stamp}.json`);
  const page = join(dir, `${stamp}.html`);
  writeFileSync(json, JSON.stringify(r, null, 1));
  writeFileSync(page, html(r));
  copyFileSync(json, join(dir, 'latest.json'));
  copyFileSync(page, join(dir, 'latest.html'));
  return [json, page];
}
