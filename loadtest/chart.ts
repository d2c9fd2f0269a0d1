/** Small inline-SVG charts, so the report is one self-contained HTML file. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v)!;
}

export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number }): string {
  const W = o.width ?? 760;
  const H = o.height ?? 300;
  const m = { l: 64, r: 16, t: 52, b: 44 };
  const all = o.series.flatMap((s) => s.points);
  const xMax = niceMax(Math.max(...all.map((p) => p[0]), 0));
  const yMax = niceMax(Math.max(...all.map((p) => p[1]), 0));
  const x = (v: number) => m.l + (v / xMax) * (W - m.l - m.r);
  const y = (v: number) => H - m.b - (v / yMax) * (H - m.t - m.b);
  const ticks = (max: number) => Array.from({ length: 6 }, (_, i) => (max * i) / 5);
  const fmt = (v: number) => (v >= 1000 ? `${Math.round(v / 100) / 10}k` : String(Math.round(v * 100) / 100));
  const grid =
    ticks(yMax)
      .map(
        (v) =>
          `<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`,
      )
      .join('') +
    ticks(xMax)
      .map((v) => `<text x="${x(v)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(v)}</text>`)
      .join('');
  const lines = o.series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.8" points="${s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`,
    )
    .join('');
  const legend = o.series
    .map(
      (s, i) =>
        `<rect x="${m.l + 10 + i * 150}" y="${m.t - 20}" width="12" height="4" fill="${s.color}"/><text x="${m.l + 26 + i * 150}" y="${m.t - 14}">${esc(s.name)}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<text x="${m.l}" y="14" font-size="13" font-weight="bold">${esc(o.title)}</text>${grid}${legend}${lines}
<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#999"/><line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#999"/>
<text x="${(W + m.l) / 2}" y="${H - 6}" text-anchor="middle">${esc(o.xLabel)}</text>
<text transform="translate(14 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text></svg>`;
}

export function barChart(o: {
  title: string;
  unit: string;
  bars: { name: string; value: number; color: string }[];
  width?: number;
}): string {
  const W = o.width ?? 760;
  const rowH = 26;
  const H = 30 + o.bars.length * rowH;
  const max = niceMax(Math.max(...o.bars.map((b) => b.value), 0));
  const left = 200;
  const rows = o.bars
    .map((b, i) => {
      const w = ((W - left - 90) * b.value) / max;
      const yy = 26 + i * rowH;
      return `<text x="${left - 8}" y="${yy + 14}" text-anchor="end">${esc(b.name)}</text><rect x="${left}" y="${yy}" width="${w.toFixed(1)}" height="18" fill="${b.color}"/><text x="${left + w + 6}" y="${yy + 14}">${Math.round(b.value).toLocaleString('en')} ${esc(o.unit)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><text x="0" y="14" font-size="13" font-weight="bold">${esc(o.title)}</text>${rows}</svg>`;
}
