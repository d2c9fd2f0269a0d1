/**
 * Tells an event id MySQL does not know without asking MySQL about that id: participants' calls name
 * any id they like, and each unknown one used to cost a primary-key read, so a flood of made-up ids was
 * a flood of queries. The ids of every event (a short list, made by the operator) are read at most once
 * per `ttlMs`, and an id missing from a list that fresh is unknown: however many distinct ids a flood
 * names, MySQL is asked once per `ttlMs`. An event created by this process is known at once; one created
 * by another, within `ttlMs`.
 */
export class KnownEventIds {
  private ids: Set<string> | null = null;
  private readAt = 0;
  private reading: Promise<Set<string>> | null = null;

  constructor(
    private readonly readIds: () => Promise<string[]>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** False only when the id was in no list read within ttlMs: a true may still meet no row (MySQL decides). */
  async mayExist(id: string): Promise<boolean> {
    if (this.ids?.has(id)) return true;
    if (this.ids && this.now() - this.readAt < this.ttlMs) return false;
    return (await this.read()).has(id);
  }

  /** An event this process has just made (or found): known from now on, whatever the last list said. */
  add(id: string): void {
    this.ids?.add(id);
    this.addedWhileReading?.add(id);
  }

  private addedWhileReading: Set<string> | null = null;

  private read(): Promise<Set<string>> {
    this.reading ??= (async () => {
      const startedAt = this.now();
      // A list read that began before an insert this process made does not hold it.
      const added = (this.addedWhileReading = new Set<string>());
      try {
        const ids = new Set([...(await this.readIds()), ...added]);
        this.ids = ids;
        this.readAt = startedAt;
        return ids;
      } finally {
        this.reading = null;
        this.addedWhileReading = null;
      }
    })();
    return this.reading;
  }
}
