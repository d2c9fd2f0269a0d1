import { conflict, eventNotFound, unavailable } from '../../platform/errors.ts';
import { effectiveState, type EventRecord, type EventSnapshot } from '../../domain/event.ts';
import type { EventsRepo } from '../../adapters/mysql/events-repo.ts';
import type { Scripts } from '../../adapters/redis/scripts.ts';
import { StockStateMissing } from '../../domain/errors.ts';
import type { RestoreScripts } from '../../adapters/redis/restore-scripts.ts';
import type { Restorer } from '../persistence/restorer.ts';
import { KnownEventIds } from './known-event-ids.ts';
import { ErrorCode } from '../../domain/errors.ts';

/** How long an admin change waits for a restore under way before it answers 503. */
const RESTORE_WAIT_MS = 10_000;

/** How stale this process's list of event ids may be when it says an id is unknown (participants' calls only). */
export const KNOWN_IDS_TTL_MS = 2_000;

const noEvent = eventNotFound;

const restoring = () =>
  unavailable(ErrorCode.STATE_RESTORING, "the event's live state is being rebuilt from MySQL; try again in a moment", 1);

/** Where an event stands in Redis: loaded, being restored from MySQL, or unknown to MySQL too. */
export type Presence = 'loaded' | 'restoring' | 'unknown';

/**
 * Events live in MySQL (the source of truth) and are mirrored into Redis, where the apply path reads
 * them. Stock changes go through Redis first, atomically, so a running event never oversells. An event
 * whose state Redis lost is restored from MySQL (core/use-cases/persistence/restorer.ts): only a new one starts from its total.
 */
export class Events {
  constructor(
    private readonly repo: EventsRepo,
    private readonly scripts: Scripts,
    private readonly loader: RestoreScripts,
    private readonly restorer: Restorer,
  ) {
    this.knownIds = new KnownEventIds(() => repo.ids(), KNOWN_IDS_TTL_MS);
  }

  /** What participants' calls consult before MySQL: the operator's calls always ask MySQL itself. */
  private readonly knownIds: KnownEventIds;

  async get(id: string): Promise<EventRecord> {
    const e = await this.repo.find(id);
    if (!e) throw noEvent(id);
    return e;
  }

  list(): Promise<EventRecord[]> {
    return this.repo.list();
  }

  /** The event serving the original's calls: created empty, in draft, until the operator opens it. */
  async ensure(id: string, name: string): Promise<EventRecord> {
    const { event, created } = await this.repo.findOrCreate({ id, name, totalStock: 0 });
    this.knownIds.add(id);
    if ((await this.put(event, created)) === 'missing') await this.restorer.begin(id);
    return event;
  }

  async create(e: { id: string; name: string; totalStock: number; opensAt?: Date | null; closesAt?: Date | null }): Promise<EventRecord> {
    const exists = () => conflict('EVENT_EXISTS', `an event "${e.id}" exists already`);
    if (await this.repo.find(e.id)) throw exists();
    // Two creates at once: the second meets the primary key.
    const created = await this.repo.create(e);
    if (!created) throw exists();
    this.knownIds.add(created.id);
    // Nothing can have been decided for it yet: no restore to wait for.
    await this.put(created, true);
    return created;
  }

  /**
   * The gate met the event missing or restoring: loads its settings when Redis has its state, else
   * begins its restore (or helps one under way on) without waiting for it.
   */
  async ensureLoaded(id: string): Promise<Presence> {
    if (await this.restorer.isRestoring(id)) {
      this.restorer.kick(id);
      return 'restoring';
    }
    const e = (await this.knownIds.mayExist(id)) ? await this.repo.find(id) : null;
    if (!e) return 'unknown';
    const put = await this.put(e);
    if (typeof put === 'number') return 'loaded';
    return (await this.restorer.begin(id)) ? 'restoring' : 'loaded';
  }

  /** ensureLoaded for callers that only ask whether to try the gate again: false when MySQL does not know it. */
  async load(id: string): Promise<boolean> {
    return (await this.ensureLoaded(id)) !== 'unknown';
  }

  /**
   * With the event's row locked, so two changes at once can't leave Redis and MySQL with different
   * totals: Redis first (atomic, and the only place that knows the winners so far), then MySQL; if
   * MySQL refuses, Redis gets the old total back.
   */
  async setStock(id: string, count: number): Promise<EventSnapshot> {
    await this.mirror(await this.get(id));
    const done = await this.repo.withLocked(id, async (e, save) => {
      const result = await this.scripts.setStock(id, count).catch((err) => {
        // Redis lost it again since: the restore begun there is waited for by the admin's retry.
        throw err instanceof StockStateMissing ? restoring() : err;
      });
      if (!result.ok) {
        throw conflict('STOCK_BELOW_WINNERS', `${result.winners} people have already won; the stock can't be set below that`, {
          winners: result.winners,
        });
      }
      await save({ totalStock: count }).catch(async (err) => {
        await this.scripts.setStock(id, e.totalStock).catch(() => {});
        throw err;
      });
      return true;
    });
    if (!done) throw noEvent(id);
    this.recent.delete(id);
    return this.snapshot(id);
  }

  async open(id: string, at?: Date): Promise<EventSnapshot> {
    const e = await this.get(id);
    const closesAt = e.closesAt && e.closesAt.getTime() <= Date.now() ? null : e.closesAt;
    await this.repo.update(id, { state: 'open', opensAt: at ?? null, closesAt });
    await this.mirror(await this.get(id));
    return this.snapshot(id);
  }

  async close(id: string, at?: Date): Promise<EventSnapshot> {
    await this.get(id);
    if (at && at.getTime() > Date.now()) {
      await this.repo.update(id, { closesAt: at });
    } else {
      await this.repo.update(id, { state: 'closed', closesAt: at ?? new Date() });
    }
    await this.mirror(await this.get(id));
    return this.snapshot(id);
  }

  /**
   * The event with its live counts. With `settings: 'recent'` its settings may be up to a second old in
   * this process (changes made here are seen at once): every waiting phone asks, and one MySQL read a
   * second serves them all. The counts always come live from Redis.
   */
  async snapshot(id: string, settings: 'fresh' | 'recent' = 'fresh'): Promise<EventSnapshot> {
    const e = settings === 'recent' ? await this.recentRecord(id) : await this.get(id);
    const c = await this.scripts.counts(id);
    return {
      id: e.id,
      name: e.name,
      state: effectiveState(e),
      opensAt: e.opensAt?.toISOString() ?? null,
      closesAt: e.closesAt?.toISOString() ?? null,
      totalStock: c.total,
      remainingStock: c.remaining,
      // Decided at arrival: everyone who applied while stock was left won; the rest were told SOLD_OUT
      // and hold nothing. pending: winners whose hand-off to Kafka is not confirmed yet.
      applied: c.winners,
      won: c.winners,
      pending: c.unconfirmed,
    };
  }

  private readonly recent = new Map<string, { at: number; record: Promise<EventRecord> }>();

  /** Only events that exist stay in the map, so it is as small as the list of events. */
  private recentRecord(id: string): Promise<EventRecord> {
    const hit = this.recent.get(id);
    if (hit && Date.now() - hit.at < 1_000) return hit.record;
    const record = this.knownIds.mayExist(id).then((known) => (known ? this.get(id) : Promise.reject(noEvent(id))));
    this.recent.set(id, { at: Date.now(), record });
    record.catch(() => this.recent.delete(id));
    return record;
  }

  private put(e: EventRecord, isNew = false) {
    this.recent.delete(e.id);
    return this.loader.loadEvent(
      e.id,
      { state: e.state, opensAt: e.opensAt?.getTime() ?? null, closesAt: e.closesAt?.getTime() ?? null, total: e.totalStock },
      isNew,
    );
  }

  /** The event's settings into Redis, after its restore if Redis lost it (waited for a while, else 503). */
  private async mirror(e: EventRecord): Promise<void> {
    if (typeof (await this.put(e)) === 'number') return;
    await this.restorer.begin(e.id);
    if (!(await this.restorer.waitRestored(e.id, RESTORE_WAIT_MS)) || typeof (await this.put(e)) !== 'number') throw restoring();
  }
}
