import { join } from 'node:path';
import { ROOT } from '../core/platform/root.ts';

/** Where local services keep their state: git-ignored, and kept across servicesDown. */
export function terningHome(): string {
  return process.env.TERNING_HOME || join(ROOT, '.terning');
}

export const runDir = () => join(terningHome(), 'run');
export const logDir = () => join(terningHome(), 'logs');
export const pidFile = (name: string) => join(runDir(), `${name}.pid`);
export const logFile = (name: string) => join(logDir(), `${name}.log`);
