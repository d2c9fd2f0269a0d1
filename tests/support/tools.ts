import { serviceTools } from '../../infra/index.ts';
import type { Tool } from '../../infra/tools.ts';

export const CHROMIUM: Tool = { bin: 'chromium', pkg: 'chromium' };
export const TMUX: Tool = { bin: 'tmux', pkg: 'tmux' };

/**
 * What the suite runs beside the services it is given: the browser tests' Chromium, the terminal tests'
 * tmux, and each service's own server, since the fault suite starts private copies of them all even
 * where the machine's (or Docker's) answer.
 */
export const testTools = (): Tool[] => [...serviceTools(), CHROMIUM, TMUX];
