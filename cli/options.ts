import type { Command } from 'commander';
import { loadConfig } from '../core/config.ts';
import type { AdminTarget } from './admin-client.ts';

/** Flags shared by the commands that talk to a running server; the environment fills the rest. */
export function withTarget(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'the terning server (env TERNING_URL)', process.env.TERNING_URL)
    .option('--admin-key <key>', 'the admin key (env ADMIN_KEY)')
    .option('--event <id>', 'the event (default: the default event)')
    .option('--json', 'print JSON');
}

export interface TargetOptions { url?: string; adminKey?: string; event?: string; json?: boolean }

export function target(o: TargetOptions): AdminTarget {
  const config = loadConfig();
  return { url: o.url ?? `http://127.0.0.1:${config.port}`, adminKey: o.adminKey ?? config.adminKey };
}

export function eventPath(o: TargetOptions, rest: string): string {
  return o.event ? `/api/admin/events/${encodeURIComponent(o.event)}${rest}` : `/api/admin/event${rest}`;
}
