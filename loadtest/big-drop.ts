import type { Pool } from 'mysql2/promise';
import { referenceRun, terningRun, type Load, type Reference, type ReferenceRun, type TerningRun } from './scenarios.ts';
import type { TokenContract } from './tokens.ts';
import type { Terning } from './terning.ts';
import { BARS, failures, invariant, target, throughputTarget, type Target } from './targets.ts';

/** After the last answer, every winner of a big drop is in MySQL within this: the export and the mail follow. */
export const DROP_PERSISTED_WITHIN_MS = 30_000;

export interface BigDropRun {
  terning: TerningRun;
  ceiling?: ReferenceRun;
  /** The API's peak resident memory during the drop (the largest of them), MB. */
  apiPeakMb: number;
  /** As many winners again, answered with no consumer running, then persisted by new ones: their own speed. */
  backlog?: TerningRun;
}

/**
 * A big drop: as many units as applicants (a coupon drop, a national giveaway), every apply a winner,
 * each answered only once Kafka holds it; the trivial-Koa ceiling hit the same way in the same run.
 */
export async function bigDrop(
  t: Terning,
  pool: Pool,
  contract: TokenContract,
  applicants: number,
  connections: number,
  o: { ceiling?: Reference; backlog?: boolean } = {},
): Promise<BigDropRun> {
  const load: Load = { kind: 'burst', users: applicants, connections };
  for (const p of t.apis) p.resetPeak();
  // Watched a while past the bound, so that a late persist is measured, not only missed.
  const { result: _, ...terning } = await terningRun(t, pool, applicants, load, { settleMs: 2 * DROP_PERSISTED_WITHIN_MS });
  const apiPeakMb = Math.max(...t.apis.map((a) => (a.sample(), a.peakRssMb)));
  const ref = o.ceiling && (await referenceRun(o.ceiling, load, contract));
  const backlog = o.backlog ? (({ result: _r, ...run }) => run)(await terningRun(t, pool, applicants, load, { backlog: true })) : undefined;
  return { terning, ceiling: ref && { load: ref.load, cpu: ref.cpu }, apiPeakMb, backlog };
}

/** The drop's invariants (the run fails on them) and targets. */
export function bigDropTargets(d: BigDropRun, applicants: number): Target[] {
  const r = d.terning;
  const name = `big drop of ${applicants} for ${applicants} units`;
  const c = d.ceiling?.load.throughputPerSecond;
  return [
    invariant(
      `${name}: every winner answered 202 exactly once, in MySQL once`,
      `${r.won} 202s, ${r.invariants?.winners ?? '-'} winners in MySQL, ${r.invariants?.duplicatePeople ?? '-'} people twice, ${failures(r.load)} failed answers`,
      `${applicants}, ${applicants}, 0, 0`,
      r.won === applicants && r.invariants?.ok === true && failures(r.load) === 0,
    ),
    invariant(
      `${name}: every winner persisted after the last answer`,
      r.persistedAfterLastAnswerMs === undefined
        ? `not all within ${(2 * DROP_PERSISTED_WITHIN_MS) / 1000} s`
        : `${r.persistedAfterLastAnswerMs} ms`,
      `<= ${DROP_PERSISTED_WITHIN_MS} ms`,
      (r.persistedAfterLastAnswerMs ?? Infinity) <= DROP_PERSISTED_WITHIN_MS,
    ),
    throughputTarget(name, r.load, c),
    target(
      `${name}: CPU per accepted apply (API + consumer, /proc, until every winner is persisted)`,
      `${r.cpu.serverUs} us (API ${r.cpu.apiUs}, consumer ${r.cpu.consumerUs}); generator ${r.cpu.generatorUs} us, ceiling ${d.ceiling?.cpu.serverUs ?? '-'} us`,
      `<= ${BARS.acceptedUs} us`,
      r.cpu.serverUs <= BARS.acceptedUs,
    ),
    target(`${name}: API peak RSS`, `${Math.round(d.apiPeakMb)} MB`, `<= ${BARS.apiRssMb} MB`, d.apiPeakMb <= BARS.apiRssMb),
    ...(d.backlog
      ? [
          invariant(
            `a backlog of ${d.backlog.won} winners: every one answered 202 once and persisted once`,
            `${d.backlog.won} 202s, ${d.backlog.invariants?.winners ?? '-'} winners in MySQL, ${d.backlog.invariants?.duplicatePeople ?? '-'} people twice, ${failures(d.backlog.load)} failed answers`,
            `${applicants}, ${applicants}, 0, 0`,
            d.backlog.won === applicants && d.backlog.invariants?.ok === true && failures(d.backlog.load) === 0,
          ),
        ]
      : []),
    ...(d.backlog
      ? [
          target(
            `consumers persisting a backlog of ${d.backlog.won} winners (the drop's size)`,
            `${d.backlog.persistedPerSecond ?? '-'} winners/s (peak ${d.backlog.peakPersistedPerSecond}/s over 500 ms)`,
            '>= 20000/s',
            (d.backlog.persistedPerSecond ?? 0) >= 20_000,
          ),
        ]
      : []),
  ];
}
