import type { Pool } from 'mysql2/promise';
import { referenceRun, terningRun, type Load, type Reference, type ReferenceRun, type TerningRun } from './scenarios.ts';
import type { TokenContract } from './tokens.ts';
import type { Terning } from './terning.ts';
import { BARS, failures, invariant, target, throughputTarget, type Target } from './targets.ts';

export interface CrowdRun {
  terning: TerningRun;
  ceiling?: ReferenceRun;
  /** The API's peak resident memory during the crowd (the largest of them), MB. */
  apiPeakMb: number;
  /** Winners the event held before the crowd came (persisted, on the sold-out board once it sells out). */
  winnersBefore: number;
}

/**
 * A giveaway's crowd: `users` applicants for `stock` units, most of them after the gifts are gone, over
 * `connections` keep-alive connections; optionally on an event that already holds `winnersBefore`
 * winners (what the sold-out board keeps per winner is then in every API process). The trivial-Koa
 * ceiling is hit the same way in the same run.
 */
export async function crowd(
  t: Terning,
  pool: Pool,
  contract: TokenContract,
  o: { users: number; stock: number; connections: number; winnersBefore: number; ceiling?: Reference },
): Promise<CrowdRun> {
  const load: Load = { kind: 'burst', users: o.users, connections: o.connections };
  // The peak is the crowd's: the filling drop before it is reset away (terningRun fills first).
  const resetAfterFill = o.winnersBefore > 0;
  for (const p of t.apis) p.resetPeak();
  const { result: _, ...terning } = await terningRun(t, pool, o.stock, load, {
    winnersBefore: o.winnersBefore,
    beforeLoad: resetAfterFill ? () => t.apis.forEach((p) => p.resetPeak()) : undefined,
  });
  const apiPeakMb = Math.max(...t.apis.map((a) => (a.sample(), a.peakRssMb)));
  const ref = o.ceiling && (await referenceRun(o.ceiling, load, contract));
  return { terning, ceiling: ref && { load: ref.load, cpu: ref.cpu }, apiPeakMb, winnersBefore: o.winnersBefore };
}

/** The crowd's invariants (the run fails on them) and issue 23's targets for it. */
export function crowdTargets(c: CrowdRun, o: { users: number; stock: number }): Target[] {
  const r = c.terning;
  const name = `crowd of ${o.users} for ${o.stock} units${c.winnersBefore ? ` on an event holding ${c.winnersBefore} winners` : ''}`;
  const ceiling = c.ceiling?.load.throughputPerSecond;
  const so = r.cpu.soldOut;
  const expected = Math.min(o.stock, o.users);
  return [
    invariant(
      `${name}: every answer final, exactly min(stock, applicants) winners in arrival order`,
      `${r.won} 202s, ${r.soldOut} 409s, ${failures(r.load)} failed answers; invariants ${r.invariants?.ok ? 'hold' : `VIOLATED ${JSON.stringify(r.invariants)}`}`,
      `${expected}, ${o.users - expected}, 0; hold`,
      r.won === expected && r.soldOut === o.users - expected && failures(r.load) === 0 && r.invariants?.ok === true,
    ),
    throughputTarget(name, r.load, ceiling),
    target(
      `${name}: CPU per SOLD_OUT answer (API + consumer, /proc)`,
      so
        ? `${so.serverUs} us (API ${so.apiUs}, consumer ${so.consumerUs}; ${so.answers} answers over ${so.seconds} s); generator ${r.cpu.generatorUs} us, ceiling ${c.ceiling?.cpu.serverUs ?? '-'} us`
        : 'no stretch of SOLD_OUT answers long enough to read',
      `<= ${BARS.soldOutUs} us`,
      !!so && so.serverUs <= BARS.soldOutUs,
    ),
    target(`${name}: API peak RSS`, `${Math.round(c.apiPeakMb)} MB`, `<= ${BARS.apiRssMb} MB`, c.apiPeakMb <= BARS.apiRssMb),
  ];
}
