import test from 'ava';
import { LogBuilder, changeEntries } from '../core/use-cases/proof/log-builder.ts';
import type { LogSource, LogState, NewLeaf, OperatorChange, ProofLogRepo, StoredDecision } from '../core/adapters/mysql/proof-log-repo.ts';
import { createLogger } from '../core/platform/log.ts';
import { commitmentOf, nonceOf } from '../core/use-cases/proof/entries.ts';

// The builder's rule over a repository held in memory: what it appends, and what it waits for.
class MemoryRepo implements Pick<ProofLogRepo, 'eventsToBuild' | 'marksNow' | 'touchedSince' | 'append'> {
  decisions: StoredDecision[] = [];
  changes: OperatorChange[] = [];
  leaves: string[] = [];
  state: LogState = { size: 0, nextTicket: 1, auditId: 0 };
  async eventsToBuild() {
    return ['ev'];
  }
  async marksNow() {
    return { decision: 0, audit: 0 };
  }
  async touchedSince() {
    return { events: ['ev'], decision: 0, audit: 0 };
  }
  async append(_: string, plan: (s: LogState, src: LogSource) => Promise<{ leaves: NewLeaf[]; state: LogState }>) {
    const { leaves, state } = await plan(this.state, {
      decisions: async (from: number, limit: number) =>
        this.decisions
          .filter((d) => d.ticket >= from)
          .sort((a, b) => a.ticket - b.ticket)
          .slice(0, limit),
      changes: async (after: number, limit: number) => this.changes.filter((c) => c.id > after).slice(0, limit),
    });
    this.leaves.push(...leaves.map((l) => l.leaf.toString()));
    this.state = state;
    return leaves.length;
  }
}

const secret = Buffer.alloc(32, 7);
const kinds = (r: MemoryRepo) =>
  r.leaves.map((l) => {
    const e = JSON.parse(l);
    return e.ticket ? `${e.kind}:${e.ticket}` : e.kind;
  });

test('decisions enter in ticket order, only as a run with no ticket missing; a unit given back explains its ticket', async (t) => {
  const repo = new MemoryRepo();
  const builder = new LogBuilder(repo, secret, createLogger('test', 'silent'));
  repo.changes.push({
    id: 1,
    action: 'event.create',
    at: 100,
    from: null,
    to: { totalStock: 3, state: 'draft', opensAt: null, closesAt: null },
  });
  repo.changes.push({ id: 2, action: 'event.open', at: 150, from: {}, to: { state: 'open', opensAt: null, closesAt: null } });
  repo.decisions.push({ ticket: 1, kind: 'won', person: 'a@x.io', at: 200 }, { ticket: 3, kind: 'won', person: 'c@x.io', at: 240 });
  await builder.build('ev');
  t.deepEqual(kinds(repo), ['stock', 'open', 'won:1'], 'ticket 3 waits for ticket 2');
  repo.decisions.push({ ticket: 2, kind: 'released', person: 'b@x.io', at: 220 }, { ticket: 4, kind: 'won', person: 'b@x.io', at: 260 });
  repo.changes.push({
    id: 3,
    action: 'event.close',
    at: 300,
    from: { closesAt: null },
    to: { state: 'closed', closesAt: new Date(290).toISOString() },
  });
  await builder.build('ev');
  t.deepEqual(kinds(repo), ['stock', 'open', 'won:1', 'released:2', 'won:3', 'won:4', 'close']);
  await builder.build('ev');
  t.is(repo.leaves.length, 7, 'nothing is appended twice');
  const first = JSON.parse(repo.leaves[2]!);
  t.is(first.commitment, commitmentOf('a@x.io', nonceOf(secret, 'ev', 1, 'a@x.io')), "the commitment is the receipt's");
  t.false(repo.leaves.join('').includes('@'), 'no address in the log');
});

test("the operator's changes as entries: stock, opening now or at a time, closing", (t) => {
  const c = (action: string, to: unknown, from: unknown = {}): OperatorChange => ({ id: 1, action, at: 1_000, from, to });
  t.deepEqual(changeEntries('ev', c('stock.set', { totalStock: 9 })), [{ kind: 'stock', event: 'ev', at: 1_000, total: 9 }]);
  t.deepEqual(changeEntries('ev', c('event.open', { state: 'scheduled', opensAt: new Date(5_000).toISOString(), closesAt: null })), [
    { kind: 'open', event: 'ev', at: 1_000, opensAt: 5_000 },
  ]);
  t.deepEqual(changeEntries('ev', c('event.close', { state: 'open', closesAt: new Date(9_000).toISOString() })), [
    { kind: 'close', event: 'ev', at: 1_000, closesAt: 9_000 },
  ]);
  t.deepEqual(changeEntries('ev', c('dlq.replay', { ids: ['0:1'] })), []);
});

test('while winners are persisted the log waits, for a bounded time, then builds; otherwise it builds at once', async (t) => {
  class CountingRepo extends MemoryRepo {
    touched = 0;
    override async touchedSince() {
      this.touched++;
      return super.touchedSince();
    }
  }
  const turns = (r: CountingRepo) => r.touched;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let persisting = true;
  const busy = new CountingRepo();
  const deferring = new LogBuilder(busy, secret, createLogger('test', 'silent'), 20, () => persisting, 2_000);
  const started = Date.now();
  deferring.start();
  await sleep(300);
  t.is(turns(busy), 0, 'no turn while a backlog is persisted');
  while (turns(busy) === 0 && Date.now() - started < 10_000) await sleep(20);
  t.true(turns(busy) >= 1 && Date.now() - started >= 2_000, `a turn once it waited its longest (${Date.now() - started} ms)`);
  persisting = false;
  const before = turns(busy);
  await sleep(200);
  t.true(turns(busy) > before + 2, 'turns every moment once persisting stops');
  await deferring.stop();
});
