import type { Tracer } from 'dd-trace';

/**
 * Custom spans for the use cases (apply, decide). dd-trace is loaded by bin/terning.js only when
 * DD_TRACE_ENABLED is set; otherwise this costs one branch.
 */
const enabled = /^(true|1)$/i.test(process.env.DD_TRACE_ENABLED ?? '');
const tracer: Tracer | null = enabled ? ((await import('dd-trace')).default as unknown as Tracer) : null;

export function traced<T>(name: string, tags: Record<string, string | number>, fn: () => Promise<T>): Promise<T> {
  return tracer ? tracer.trace(name, { tags }, fn) : fn();
}
