import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../platform/log.ts';
import { reached, type PartitionProgress } from '../../adapters/kafka/offsets.ts';
import type { EndOffsets, RestoreMarker } from '../../domain/event.ts';
import type { BeginResult, RestoreScripts } from '../../adapters/redis/restore-scripts.ts';
import type { MysqlState } from '../../adapters/mysql/mysql-state.ts';
import type { ApplicationsRepo } from '../../adapters/mysql/applications-repo.ts';

/** Where the applications topic ends, and how far the consumer group has persisted it. */
export interface OffsetsSource {
  ends(): Promise<EndOffsets>;
  progress(): Promise<PartitionProgress[]>;
}

export interface RestoreOptions {
  /** How long a driver's lease lasts unless renewed: another process takes over this long after it died. */
  leaseMs: number;
  /** How often the consumer group's offsets are read while waiting for them. */
  pollMs: number;
  chunkSize: number;
}

/** done: restored (here or elsewhere); busy: another process drives it; again: started over meanwhile. */
type Drive = 'done' | 'busy' | 'again';

/**
 * Rebuilds events in Redis from MySQL after Redis lost their data (docs/decide-at-arrival.md, Restore).
 * begin() sets an event's marker with the applications topic's end offsets; one driver at a time per
 * event (a lease in Redis) waits until the consumer group has persisted the topic up to them, then
 * loads MySQL's winners and finishes: stock, settings, tickets, the gate open again. Each step re-checks
 * the marker, so a driver that was started over or overtaken changes nothing.
 */
export class Restorer {
  private readonly queue = new Set<string>();
  private working?: Promise<void>;
  private stopped = false;
  private readonly opts: RestoreOptions;

  constructor(
    private readonly scripts: RestoreScripts,
    private readonly mysql: MysqlState,
    private readonly records: Pick<ApplicationsRepo, 'releaseUnexplained'>,
    private readonly offsets: OffsetsSource,
    private readonly log: Logger,
    opts: Partial<RestoreOptions> = {},
  ) {
    this.opts = { leaseMs: 10_000, pollMs: 250, chunkSize: 2_000, ...opts };
  }

  /**
   * Marks the event restoring when its state is missing from Redis (always, with force: Redis may have
   * lost its last writes), and drives the restore in the background. Returns the marker in force, or
   * null when the event's state is whole.
   */
  async begin(eventId: string, opts: { force?: boolean } = {}): Promise<RestoreMarker | null> {
    return (await this.beginMany([eventId], opts))[0] ?? null;
  }

  /**
   * begin() for several events, with one read of the topic's offsets. Forced, their state is dropped
   * first and the offsets read after: a decision confirmed before the drop is in Kafka below them.
   */
  async beginMany(eventIds: string[], opts: { force?: boolean } = {}): Promise<(RestoreMarker | null)[]> {
    const begun = new Map<string, BeginResult>();
    if (opts.force) for (const eventId of eventIds) begun.set(eventId, await this.scripts.beginRestore(eventId, {}, Date.now(), true));
    const rest = eventIds.filter((eventId) => !begun.has(eventId) || begun.get(eventId)!.kind === 'dropped');
    if (rest.length) {
      const ends = await this.offsets.ends();
      for (const eventId of rest) {
        const dropped = begun.get(eventId);
        const gen = dropped?.kind === 'dropped' && dropped.gen !== undefined ? dropped.gen : await this.replacedGeneration(eventId);
        begun.set(eventId, await this.scripts.beginRestore(eventId, ends, Date.now(), false, gen));
      }
    }
    return eventIds.map((eventId) => {
      const r = begun.get(eventId)!;
      if (r.kind === 'whole' || r.kind === 'dropped') return null;
      if (r.kind === 'begun')
        this.log.warn(
          { eventId, ends: r.marker.ends, force: opts.force ?? false },
          'the event is restoring: its Redis state is rebuilt from MySQL once the consumers have persisted Kafka up to these offsets',
        );
      this.kick(eventId);
      return r.marker;
    });
  }

  /**
   * Redis restarted or failed over and may have lost any event's last writes: every event is restored,
   * those taking applicants (or closed within the day) first, so that a live event's gate is not left
   * waiting behind the restores of months of closed ones.
   */
  async restoreAll(): Promise<void> {
    const live = await this.mysql.liveEventIds(new Date(Date.now() - 24 * 3_600_000));
    const first = new Set(live);
    const rest = (await this.mysql.eventIds()).filter((id) => !first.has(id));
    await this.beginMany([...live, ...rest], { force: true });
  }

  /**
   * The generation of the state a restore replaces when its meta is gone with it: MySQL's, the newest
   * state a restore finished (a state goes live only after MySQL gave it its number, and no marker is
   * in force then). Unknown (undefined) if MySQL can't say: every decision below the ends is kept.
   */
  private async replacedGeneration(eventId: string): Promise<number | undefined> {
    return (await this.mysql.generation(eventId).catch(() => null)) ?? undefined;
  }

  async isRestoring(eventId: string): Promise<boolean> {
    return (await this.scripts.marker(eventId)) !== null;
  }

  /** Drives the event's restore in the background (here, or waits its turn while another process does). */
  kick(eventId: string): void {
    if (this.stopped) return;
    this.queue.add(eventId);
    this.working ??= this.work().finally(() => {
      this.working = undefined;
    });
  }

  /** Waits for the event's restore to finish; false after timeoutMs. */
  async waitRestored(eventId: string, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (!(await this.isRestoring(eventId))) return true;
      if (Date.now() >= until || this.stopped) return false;
      await sleep(Math.min(100, until - Date.now()));
    }
  }

  /** Stops driving; a restore under way is left to another process (its lease lapses). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.working;
  }

  private async work(): Promise<void> {
    while (!this.stopped && this.queue.size) {
      for (const eventId of [...this.queue]) {
        if (this.stopped) return;
        const r = await this.drive(eventId).catch((e: unknown): Drive => {
          this.log.warn({ err: e, eventId }, 'restoring the event failed; trying again');
          return 'busy';
        });
        if (r === 'done') this.queue.delete(eventId);
      }
      // Restores another process drives, or that failed, are looked at again: that process may die.
      if (this.queue.size) await sleep(this.opts.pollMs * 4);
    }
  }

  /** One attempt at the event's restore, holding its lease. */
  private async drive(eventId: string): Promise<Drive> {
    const owner = randomUUID();
    if (!(await this.scripts.takeLease(eventId, owner, this.opts.leaseMs))) return (await this.isRestoring(eventId)) ? 'busy' : 'done';
    const renewal = setInterval(
      () => void this.scripts.holdLease(eventId, owner, this.opts.leaseMs).catch(() => {}),
      this.opts.leaseMs / 3,
    );
    try {
      const marker = await this.scripts.marker(eventId);
      if (!marker) return 'done';
      if (!(await this.drained(eventId, marker))) return this.stopped ? 'busy' : 'again';
      const event = await this.mysql.event(eventId);
      if (!event) {
        await this.scripts.dropMarker(eventId, marker);
        this.log.warn({ eventId }, 'a restoring event is not in MySQL: its marker is dropped');
        return 'done';
      }
      const written = new Set<string>();
      for await (const page of this.mysql.winners(eventId, this.opts.chunkSize)) {
        if (!(await this.scripts.restoreWinners(eventId, marker, page))) return 'again';
        for (const w of page) written.add(w.person);
      }
      const maxTicket = await this.mysql.maxTicket(eventId);
      // A number of its own for the state about to go live (its decisions carry it: apply.lua), above
      // every state that went live before it.
      const gen = ((await this.mysql.generation(eventId)) ?? 0) + 1;
      const done = await this.scripts.finishRestore(eventId, marker, { ...event, maxTicket, gen, winners: written.size });
      if (done.incomplete)
        this.log.warn(
          { eventId, written: written.size, held: done.winners },
          'the restored winners were deleted from Redis before the restore finished: it writes them again',
        );
      if (!done.finished) return 'again';
      await this.mysql
        .recordGeneration(eventId, gen)
        .catch((err: unknown) =>
          this.log.warn(
            { err, eventId, gen },
            "the restored state's generation is not in MySQL: a later restore keeps more of its decisions",
          ),
        );
      if (done.winners > event.total)
        this.log.error(
          { eventId, winners: done.winners, total: event.total },
          'MySQL holds more winners than the stock: the event was oversold; no unit is left for anyone else',
        );
      const released = await this.releaseUnexplained(eventId, done.tickets);
      this.log.warn(
        { eventId, winners: done.winners, remaining: done.remaining, released, ms: Date.now() - marker.at },
        'the event is restored from MySQL',
      );
      return 'done';
    } finally {
      clearInterval(renewal);
      await this.scripts.holdLease(eventId, owner, 0).catch(() => {});
    }
  }

  /**
   * Once the gate is open again: every ticket up to the sequence the restore left that no decision in
   * MySQL explains will never be explained (the decisions below the marker are all persisted, those
   * above it void, and new tickets come after it), so it is recorded as released for the public log.
   * Only now, not before the finish: a restore started over has later offsets and may keep a decision
   * this one would have voided. Tried until it is done: the marker is gone, no later drive would do it.
   */
  private async releaseUnexplained(eventId: string, tickets: number): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.records.releaseUnexplained(eventId, tickets);
      } catch (err) {
        if (this.stopped && attempt > 3) throw err;
        this.log.warn({ err, eventId }, 'the restore could not record the tickets no decision explains; trying again');
        await sleep(Math.min(5_000, this.opts.pollMs * 2 ** attempt));
      }
    }
  }

  /**
   * Waits until the consumer group has persisted every partition up to the marker's offsets: then
   * MySQL holds every decision the lost Redis made. False when stopping or the marker changed.
   */
  private async drained(eventId: string, marker: RestoreMarker): Promise<boolean> {
    let told = Date.now();
    for (;;) {
      if (this.stopped || (await this.scripts.marker(eventId))?.raw !== marker.raw) return false;
      const progress = await this.offsets.progress();
      if (reached(progress, marker.ends)) return true;
      if (Date.now() - told > 10_000) {
        told = Date.now();
        this.log.warn(
          { eventId, ends: marker.ends, committed: progress.map((p) => [p.partition, p.committed]) },
          'the restore waits for the consumers to persist Kafka up to its offsets',
        );
      }
      await sleep(this.opts.pollMs);
    }
  }
}
