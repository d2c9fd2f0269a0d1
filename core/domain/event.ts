/** What the operator set an event to: a draft, open (within its times, if any) or closed. */
export type EventState = 'draft' | 'open' | 'closed';

/** An event as MySQL, the source of truth, holds it (core/adapters/mysql/events-repo.ts). */
export interface EventRecord {
  id: string;
  name: string;
  totalStock: number;
  state: EventState;
  opensAt: Date | null;
  closesAt: Date | null;
}

/** Where an event stands now: an open event before its opening time is scheduled, after its closing time closed. */
export type EffectiveState = 'draft' | 'scheduled' | 'open' | 'closed';

export function effectiveState(e: Pick<EventRecord, 'state' | 'opensAt' | 'closesAt'>, now = Date.now()): EffectiveState {
  if (e.state !== 'open') return e.state;
  if (e.closesAt && now >= e.closesAt.getTime()) return 'closed';
  if (e.opensAt && now < e.opensAt.getTime()) return 'scheduled';
  return 'open';
}

/** An event as the operator sees it (the admin API, the CLI, the console): its settings and its live counts. */
export interface EventSnapshot {
  id: string;
  name: string;
  state: EffectiveState;
  opensAt: string | null;
  closesAt: string | null;
  totalStock: number;
  remainingStock: number;
  applied: number;
  won: number;
  pending: number;
}

/** An event's settings as Redis is given them, times in milliseconds. */
export interface EventSettings {
  state: EventState;
  opensAt: number | null;
  closesAt: number | null;
  total: number;
}

/** The applications topic's end offset per partition ("<partition>": "<offset>"), as a restore marker holds them. */
export type EndOffsets = Record<string, string>;

/** A restore in force: the applications topic's end offsets when the loss was noticed. `raw` is its identity. */
export interface RestoreMarker {
  raw: string;
  ends: EndOffsets;
  at: number;
  /** The generation of the state it replaces, when known: only that state's decisions below the ends are kept. */
  gen?: number;
}
