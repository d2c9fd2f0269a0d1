import type { LogReading } from './public-log.ts';
/**
 * What one random schedule (faults/random.ts) saw, as the checker (faults/judge.ts) reads it: every
 * answer given, with when it was asked and answered; the faults and whether each was really injected;
 * the processes that died on their own; the persistence watch; and the state left in MySQL, Kafka and
 * Redis once everything settled.
 */

/** How one apply ended: a final answer (won, sold-out) or one the page retries (refused, reset, timeout). */
export type Answer = 'won' | 'sold-out' | 'refused' | 'reset' | 'timeout' | 'other';

export interface Attempt {
  person: string;
  email: string;
  /** Epoch ms when the request was sent, and when its answer (or its failure) came. */
  sent: number;
  answered: number;
  answer: Answer;
  status?: number;
  ticket?: number;
  /** The error code of a refusal, or the network error. */
  why?: string;
}

export interface Applicant {
  person: string;
  email: string;
  typed: string;
  abandons: boolean;
}

export interface StockChange {
  sent: number;
  answered: number;
  total: number;
  applied: boolean;
  detail: string;
}

/** A fault as injected: `injected` only when its effect was seen (the pid alive and then gone, stopped, a new primary...). */
export interface FaultRecord {
  kind: string;
  target: string;
  at: number;
  endedAt: number;
  injected: boolean;
  evidence: string;
}

/** A process that exited while nobody had asked it to. */
export interface Crash {
  process: string;
  pid: number | undefined;
  at: number;
  code: number | null;
  signal: string | null;
}

export interface History {
  eventId: string;
  /** The stock the event opened with. */
  stock: number;
  stockChanges: StockChange[];
  applicants: Applicant[];
  attempts: Attempt[];
  faults: FaultRecord[];
  crashes: Crash[];
  /** The persistence watch: how many readings of the group's offsets it managed, and when persistence resumed (null: stalled still). */
  watch: { readings: number; resumedMs: number | null };
  /** Whether everything settled (every winner's row, no lag, no reservation, no restore) within the wait. */
  settled: boolean;
}

/** An application as found in Kafka or a dead letter, read loosely: a person the codec refuses is still someone. */
export interface FoundApplication {
  eventId: string;
  person: string;
  ticket: number;
}

export interface FinalState {
  /** The event's total stock in MySQL at the end. */
  total: number;
  rows: { person: string; email: string; status: 'WON' | 'RELEASED'; ticket: number }[];
  /** The applications topic read to its end: this event's applications. */
  records: FoundApplication[];
  /** The dead-letter topic read to its end, or why it could not be. */
  deadLetters: { ok: true; applications: FoundApplication[]; unreadable: number } | { ok: false; error: string };
  /** `whole`: the event's state is stamped by the server read (faults/check.ts redisState). */
  redis: { remaining: number | undefined; won: Map<string, number>; reserved: string[]; restoring: boolean; whole?: boolean };
  lag: number;
  /** The event's public log, read and checked once everything settled (faults/public-log.ts). */
  log?: LogReading;
}

/** A record's or a dead letter's applications, whatever the codec thinks of their fields; none for what is not JSON. */
export function looseApplications(value: Buffer | string | null | undefined): FoundApplication[] {
  if (!value) return [];
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch {
    return [];
  }
  return (Array.isArray(json) ? json : [json]).flatMap((a: unknown) => {
    const x = a as Partial<FoundApplication> | null;
    return x && typeof x.eventId === 'string' && typeof x.person === 'string' && typeof x.ticket === 'number'
      ? [{ eventId: x.eventId, person: x.person, ticket: x.ticket }]
      : [];
  });
}
