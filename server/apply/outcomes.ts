import type { ServerDeps } from '../deps.ts';

/**
 * Applies counted per outcome, each with its latency, whichever step answered them: one labelled
 * counter per outcome, looked up once.
 */
export function applyCounter(metrics: ServerDeps['metrics']): (outcome: string, started: number) => void {
  const counters = new Map<string, { inc(): void }>();
  return (outcome, started) => {
    let counter = counters.get(outcome);
    if (!counter) counters.set(outcome, (counter = metrics.applies.labels({ outcome: outcome.toLowerCase() })));
    counter.inc();
    metrics.applyLatency.observe((performance.now() - started) / 1000);
  };
}
