import type { JobResult } from './load/job.ts';

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadSummary {
  requests: number;
  sent: number;
  byStatus: Record<string, number>;
  errors: Record<string, number>;
  timeouts: number;
  latencyMs: LatencySummary;
  /** From the first request sent to the last answer. */
  durationMs: number;
  throughputPerSecond: number;
  firstAt: number;
  lastAt: number;
  generatorCpuMs: number;
}

export interface TimelinePoint {
  t: number;
  answered: number;
  accepted: number;
  n: number;
  p50: number;
  p95: number;
  max: number;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

export function latencySummary(values: Float64Array): LatencySummary {
  const s = Float64Array.from(values).sort();
  return {
    p50: round(percentile(s, 0.5)),
    p95: round(percentile(s, 0.95)),
    p99: round(percentile(s, 0.99)),
    max: round(s[s.length - 1] ?? 0),
  };
}

/** The figures of one load run; latency is from the request's connect-or-write to its last byte. */
export function summarize(r: JobResult): LoadSummary {
  const byStatus: Record<string, number> = {};
  const lat: number[] = [];
  let first = Infinity;
  let last = 0;
  for (let i = 0; i < r.status.length; i++) {
    const s = r.status[i]!;
    if (s === -2) continue;
    const key = s === 0 ? 'error' : s === -1 ? 'timeout' : String(s);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    if (s > 0) lat.push(r.end[i]! - r.start[i]!);
    first = Math.min(first, r.start[i]!);
    last = Math.max(last, r.end[i]!);
  }
  const durationMs = last - first;
  const answered = lat.length;
  return {
    requests: r.status.length,
    sent: r.sent,
    byStatus,
    errors: r.errors,
    timeouts: byStatus.timeout ?? 0,
    latencyMs: latencySummary(Float64Array.from(lat)),
    durationMs: round(durationMs),
    throughputPerSecond: Math.round(answered / (durationMs / 1000)),
    firstAt: round(r.startedAt + first),
    lastAt: round(r.startedAt + last),
    generatorCpuMs: Math.round(r.cpuMs),
  };
}

/** Answers per time bucket, with the latency of the answers in it, for the chart. */
export function timeline(r: JobResult, bucketMs: number, acceptedStatus = 202): TimelinePoint[] {
  const buckets = new Map<number, number[]>();
  const accepted = new Map<number, number>();
  for (let i = 0; i < r.status.length; i++) {
    if (r.status[i]! <= 0) continue;
    const b = Math.floor(r.end[i]! / bucketMs);
    (buckets.get(b) ?? buckets.set(b, []).get(b)!).push(r.end[i]! - r.start[i]!);
    if (r.status[i] === acceptedStatus) accepted.set(b, (accepted.get(b) ?? 0) + 1);
  }
  const out: TimelinePoint[] = [];
  let cumAnswered = 0;
  let cumAccepted = 0;
  const lastBucket = Math.max(-1, ...buckets.keys());
  for (let b = 0; b <= lastBucket; b++) {
    const l = Float64Array.from(buckets.get(b) ?? []).sort();
    cumAnswered += l.length;
    cumAccepted += accepted.get(b) ?? 0;
    out.push({
      t: r.startedAt + (b + 1) * bucketMs,
      answered: cumAnswered,
      accepted: cumAccepted,
      n: l.length,
      p50: round(percentile(l, 0.5)),
      p95: round(percentile(l, 0.95)),
      max: round(l[l.length - 1] ?? 0),
    });
  }
  return out;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : 0;
};
