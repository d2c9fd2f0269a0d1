import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  where: string;
  selfPct: number;
}

/** Where the time of a --cpu-prof profile went: self time by function, the top `n`, and by package. */
export function hotSpots(file: string, n = 20): { functions: HotSpot[]; packages: { name: string; selfPct: number }[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const pkgs = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const where = shortUrl(f.url);
    const key = `${f.functionName}@${where}:${f.lineNumber}`;
    const e = fns.get(key) ?? { name: f.functionName || '(anonymous)', where: `${where}:${f.lineNumber + 1}`, us: 0 };
    e.us += us;
    fns.set(key, e);
    const pkg = packageOf(f.url, f.functionName);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, n)
      .map((e) => ({ name: e.name, where: e.where, selfPct: pct(e.us) })),
    packages: [...pkgs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, us]) => ({ name, selfPct: pct(us) })),
  };
}

function shortUrl(url: string): string {
  const m = /node_modules\/(.*)$/.exec(url);
  if (m) return m[1]!;
  return url.replace(/^file:\/\/.*?\/(core|server|consumer|cli|loadtest)\//, '$1/') || '(native)';
}

function packageOf(url: string, fn: string): string {
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return 'node (js)';
  if (/\/(core|server|consumer)\//.test(url)) return 'terning';
  if (!url) return fn === '(garbage collector)' ? 'GC' : fn === '(idle)' ? 'idle' : fn === '(program)' ? 'program (native)' : 'native';
  return 'other';
}
