import { eventNotFound } from '../../platform/errors.ts';
import type { Events } from '../operator/events.ts';

/** An event as participants see it. */
export interface PublicEvent {
  id: string;
  name: string;
  state: string;
  opensAt: string | null;
  closesAt: string | null;
  soldOut: boolean;
  serverTime: string;
}

/**
 * What the page shows before the button: a draft is the operator's and does not exist for participants
 * until it is scheduled or open; sold out is a stock that was set and is gone. The settings may be a
 * second old (every waiting phone asks); the counts are live.
 */
export async function publicEvent(events: Pick<Events, 'snapshot'>, id: string): Promise<PublicEvent> {
  const s = await events.snapshot(id, 'recent');
  if (s.state === 'draft') throw eventNotFound(s.id);
  return {
    id: s.id,
    name: s.name,
    state: s.state,
    opensAt: s.opensAt,
    closesAt: s.closesAt,
    soldOut: s.totalStock > 0 && s.remainingStock === 0,
    serverTime: new Date().toISOString(),
  };
}
