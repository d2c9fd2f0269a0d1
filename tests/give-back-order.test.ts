import test from 'ava';
import { finishGiveBack, giveBack, type GiveBackDeps } from '../core/use-cases/persistence/give-back.ts';

/**
 * The order of giving a unit back, against fakes of its narrow ports: revoked first, recorded RELEASED
 * second, returned last; a step that fails stops the rest (the sweeper finishes it), and nothing is
 * recorded or returned for a reservation that was not revoked. The real scripts and MySQL are tested in
 * give-back.test.ts and sweeper.test.ts.
 */
function fakes(opts: { revoked?: boolean; failAt?: 'markReleased' | 'release' } = {}) {
  const steps: string[] = [];
  const deps: GiveBackDeps = {
    scripts: {
      revoke: async (_e, person, ticket) => {
        steps.push(`revoke ${person} ${ticket}`);
        return opts.revoked ?? true;
      },
      release: async (_e, ticket) => {
        if (opts.failAt === 'release') throw new Error('redis down');
        steps.push(`release ${ticket}`);
        return true;
      },
    },
    records: {
      markReleased: async (_e, person, ticket) => {
        if (opts.failAt === 'markReleased') throw new Error('mysql down');
        steps.push(`RELEASED ${person} ${ticket}`);
      },
    },
  };
  return { deps, steps };
}
const unit = { person: 'a@x.io', ticket: 7, reservedAt: 1 };

test('revoke, then the RELEASED row, then the unit back', async (t) => {
  const { deps, steps } = fakes();
  t.true(await giveBack(deps, 'e', unit));
  t.deepEqual(steps, ['revoke a@x.io 7', 'RELEASED a@x.io 7', 'release 7']);
});

test('a reservation not revoked (confirmed meanwhile) is neither recorded nor returned', async (t) => {
  const { deps, steps } = fakes({ revoked: false });
  t.false(await giveBack(deps, 'e', unit));
  t.deepEqual(steps, ['revoke a@x.io 7']);
});

test('no RELEASED row, no unit back: a failed record leaves the unit revoked for the sweeper', async (t) => {
  const { deps, steps } = fakes({ failAt: 'markReleased' });
  await t.throwsAsync(giveBack(deps, 'e', unit), { message: 'mysql down' });
  t.deepEqual(steps, ['revoke a@x.io 7']);
  const again = fakes();
  await finishGiveBack(again.deps, 'e', unit);
  t.deepEqual(again.steps, ['RELEASED a@x.io 7', 'release 7'], 'the sweeper finishes it, row first');
});
