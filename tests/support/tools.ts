import { REDIS_SENTINEL, serviceTools } from '../../infra/index.ts';
import type { Tool } from '../../infra/tools.ts';

export const CHROMIUM: Tool = { bin: 'chromium', pkg: 'chromium' };
export const TMUX: Tool = { bin: 'tmux', pkg: 'tmux' };

/**
 * What the suite runs beside the services it is given: the browser tests' Chromium, the terminal tests'
 * tmux, and each service's own server, since the fault suite starts private copies of them all even
 * where the machine's (or Docker's) answer, and Redis Sentinel for the failover tests.
 */
export const testTools = (): Tool[] => [...serviceTools(), REDIS_SENTINEL, CHROMIUM, TMUX];
