export { isOutage } from '../core/platform/outage.ts';

export const backoffMs = (attempt: number, base = 1_000, cap = 30_000) => Math.min(cap, base * 2 ** attempt);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
