import type { ProofLogRepo } from '../../adapters/mysql/proof-log-repo.ts';
import { badRequest, notFound } from '../../platform/errors.ts';
import { ErrorCode } from '../../domain/errors.ts';
import { MerkleTree } from './merkle.ts';

/** How long a process takes the log's size it read for the size now. */
const SIZE_FRESH_MS = 1_000;

/** The most entries one page of GET .../log/entries holds. */
export const ENTRIES_PAGE = 1_000;

/** A checkpoint's text (c2sp.org/tlog-checkpoint): the log's origin, its size, its root in base64. */
export const checkpointText = (origin: string, size: number, root: Buffer) => `${origin}\n${size}\n${root.toString('base64')}\n`;

export const originOf = (logName: string, eventId: string) => `${logName}/events/${eventId}`;

const count = (name: string, v: unknown, min: number): number => {
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v) || Number(v) < min)
    throw badRequest(ErrorCode.VALIDATION_FAILED, `${name} must be a whole number of at least ${min}`);
  return Number(v);
};

/**
 * An event's public log as anyone reads it: the checkpoint (signed), the entries, and the proofs that
 * an entry is in it and that a later checkpoint extends an earlier one. Each process keeps each event's
 * tree and reads only the leaves appended since (the log never changes what it held).
 */
export class PublicLog {
  private readonly trees = new Map<string, { tree: MerkleTree; growing?: Promise<MerkleTree>; readAt: number }>();
  private readonly notes = new Map<string, { size: number; note: string }>();

  constructor(
    private readonly repo: Pick<ProofLogRepo, 'size' | 'hashes' | 'leaves' | 'indexOfTicket'>,
    private readonly sign: (text: string) => string,
    private readonly logName: string,
  ) {}

  /** The tree as MySQL holds it now. */
  private async tree(eventId: string): Promise<MerkleTree> {
    let held = this.trees.get(eventId);
    if (!held) this.trees.set(eventId, (held = { tree: new MerkleTree(), readAt: 0 }));
    const h = held;
    // A herd of pages asking costs MySQL one read a second per event and process.
    if (!h.growing && Date.now() - h.readAt < SIZE_FRESH_MS) return h.tree;
    h.growing ??= (async () => {
      h.readAt = Date.now();
      const size = await this.repo.size(eventId);
      while (h.tree.size < size) {
        const hashes = await this.repo.hashes(eventId, h.tree.size, Math.min(size, h.tree.size + 10_000));
        if (hashes.length === 0) break;
        for (const x of hashes) h.tree.append(x);
      }
      return h.tree;
    })().finally(() => (h.growing = undefined));
    return h.growing;
  }

  async checkpoint(eventId: string): Promise<{ size: number; root: Buffer; note: string }> {
    const tree = await this.tree(eventId);
    const size = tree.size;
    const root = tree.root(size);
    let signed = this.notes.get(eventId);
    if (signed?.size !== size)
      this.notes.set(eventId, (signed = { size, note: this.sign(checkpointText(originOf(this.logName, eventId), size, root)) }));
    return { size, root, note: signed.note };
  }

  async entries(eventId: string, query: { start?: unknown; end?: unknown }): Promise<{ start: number; size: number; entries: string[] }> {
    const size = (await this.tree(eventId)).size;
    const start = query.start === undefined ? 0 : count('start', query.start, 0);
    const end = Math.min(size, start + ENTRIES_PAGE, query.end === undefined ? Infinity : count('end', query.end, start));
    return { start, size, entries: start >= end ? [] : await this.repo.leaves(eventId, start, end) };
  }

  /** The inclusion proof of a ticket's entry in the log as it is now, with the checkpoint it leads to. */
  async inclusion(eventId: string, ticketParam: unknown) {
    const ticket = count('ticket', ticketParam, 1);
    const { size, note } = await this.checkpoint(eventId);
    const index = await this.repo.indexOfTicket(eventId, ticket);
    if (index === null || index >= size)
      throw notFound(
        'NOT_IN_LOG',
        `ticket ${ticket} is not in the log yet (the log holds a decision once it is persisted and every ticket before it is)`,
      );
    const tree = await this.tree(eventId);
    const [leaf] = await this.repo.leaves(eventId, index, index + 1);
    return { ticket, index, size, leaf: leaf!, proof: tree.inclusionProof(index, size).map((p) => p.toString('base64')), checkpoint: note };
  }

  async consistency(eventId: string, query: { from?: unknown; to?: unknown }) {
    const tree = await this.tree(eventId);
    const from = count('from', query.from, 1);
    const to = query.to === undefined ? tree.size : count('to', query.to, from);
    if (to > tree.size) throw badRequest(ErrorCode.VALIDATION_FAILED, `to must be at most the log's size, ${tree.size}`);
    if (from > to) throw badRequest(ErrorCode.VALIDATION_FAILED, 'from must be at most to');
    return { from, to, proof: tree.consistencyProof(from, to).map((p) => p.toString('base64')) };
  }
}
