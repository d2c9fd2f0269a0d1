import type { EventSnapshot } from '../core/domain/event.ts';
import type { OutboxCounts } from '../core/adapters/mysql/outbox-repo.ts';

/** One source of the console: its last good value (kept while it is down), and why it is down now. */
export interface Reading<T> {
  value: T | null;
  /** When the value was read (ms since the epoch), or null before the first answer. */
  at: number | null;
  /** Why the last attempt failed; null while the source answers. */
  error: string | null;
}

export const nothingYet = <T>(): Reading<T> => ({ value: null, at: null, error: null });

export interface PartitionLag {
  partition: number;
  lag: number;
}

export interface KafkaReading {
  lag: PartitionLag[];
  deadLetters: number;
}

/** What MySQL tells the console: the event's winner emails, and how many dead letters went back. */
export interface MysqlReading {
  outbox: OutboxCounts;
  replayedDeadLetters: number;
}

/** Everything `terning watch` shows; the components render it and never fetch. */
export interface ConsoleData {
  /** The event asked for (--event), or null for the server's default event. */
  eventId: string | null;
  now: number;
  /** Whether the admin API answers at all (a refusal, such as an unknown event, is an answer). */
  api: Reading<{ latencyMs: number }>;
  event: Reading<EventSnapshot>;
  /** Per-second rates, oldest first, one sample per reading of the event. */
  rates: { applications: number[]; decisions: number[] };
  kafka: Reading<KafkaReading>;
  mysql: Reading<MysqlReading>;
  redis: Reading<{ pingMs: number }>;
  /** The result of the last open or close from the console. */
  notice: { text: string; ok: boolean } | null;
}

export const emptyConsole = (eventId: string | null, now = Date.now()): ConsoleData => ({
  eventId,
  now,
  api: nothingYet(),
  event: nothingYet(),
  rates: { applications: [], decisions: [] },
  kafka: nothingYet(),
  mysql: nothingYet(),
  redis: nothingYet(),
  notice: null,
});

export const RATE_SAMPLES = 40;

/** Appends the rate between two readings of a counter, keeping the last RATE_SAMPLES. */
export function pushRate(samples: number[], before: number, after: number, seconds: number): number[] {
  const rate = seconds > 0 ? Math.max(0, after - before) / seconds : 0;
  return [...samples, rate].slice(-RATE_SAMPLES);
}

/** 3725 s as 01:02:05; a day or more as 2d 03:04:05. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86_400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return d > 0 ? `${d}d ${hms}` : hms;
}

/** What the state line says: the state and the countdown to the next change, if one is set. */
export function stateLine(e: Pick<EventSnapshot, 'state' | 'opensAt' | 'closesAt'>, now: number): string {
  const until = (iso: string) => countdown(new Date(iso).getTime() - now);
  if (e.state === 'scheduled' && e.opensAt) return `SCHEDULED · opens in ${until(e.opensAt)}`;
  if (e.state === 'open' && e.closesAt) return `OPEN · closes in ${until(e.closesAt)}`;
  return e.state.toUpperCase();
}

const TICKS = '▁▂▃▄▅▆▇█';

/** A sparkline of the samples, scaled to their maximum; all zero is a flat line. */
export function sparkline(samples: number[], width: number): string {
  const shown = samples.slice(-width);
  const max = Math.max(0, ...shown);
  const line = shown.map((v) => (max === 0 ? TICKS[0] : TICKS[Math.min(TICKS.length - 1, Math.floor((v / max) * (TICKS.length - 1)))]));
  return line.join('').padStart(width, ' ');
}

/** A bar of `share` (0..1) in `width` cells. */
export function bar(share: number, width: number): string {
  const full = Math.round(Math.min(1, Math.max(0, share)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** 12345 as "12,345". */
export const num = (n: number) => Math.round(n).toLocaleString('en-US');

/** "12:03:04" in the local time zone of the operator's terminal. */
export const clock = (ms: number) => new Date(ms).toTimeString().slice(0, 8);
