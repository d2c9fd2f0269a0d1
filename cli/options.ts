import { InvalidArgumentError, type Command } from 'commander';
import { MAX_STOCK, stockCount } from '../core/use-cases/rules.ts';
import type { AdminTarget } from './admin-client.ts';
import { resolveSettings, type SettingsFlags } from './settings.ts';

/** The config file flag every operator command takes (flags > environment > file > defaults). */
export function withConfigFile(cmd: Command): Command {
  return cmd.option('--config <file>', `a JSON config file (env TERNING_CONFIG; default ./terning.config.json if present)`);
}

/** Flags shared by the commands that talk to a running server; the environment and config file fill the rest. */
export function withTarget(cmd: Command): Command {
  return withConfigFile(cmd)
    .option('--url <url>', 'the terning server (env TERNING_URL)')
    .option('--admin-key <key>', 'the admin key (env ADMIN_KEY)')
    .option('--actor <name>', 'who makes the change, for the audit trail (env TERNING_ACTOR; default: your user name)')
    .option('--event <id>', 'the event (default: the default event)')
    .option('--json', 'print JSON');
}

export interface TargetOptions extends Pick<SettingsFlags, 'config' | 'url' | 'adminKey' | 'actor'> { event?: string; json?: boolean }

export function target(o: TargetOptions): AdminTarget {
  const s = resolveSettings({ config: o.config, url: o.url, adminKey: o.adminKey, actor: o.actor });
  return { url: s.url, adminKey: s.adminKey, actor: s.actor };
}

export function eventPath(o: TargetOptions, rest: string): string {
  return o.event ? `/api/admin/events/${encodeURIComponent(o.event)}${rest}` : `/api/admin/event${rest}`;
}

/** A stock given on the command line, checked as the API checks it (core/use-cases/rules.ts). */
export function stockArgument(v: string): number {
  if (!/^\d+$/.test(v) || !stockCount.safeParse(Number(v)).success) throw new InvalidArgumentError(`the stock is a whole number from 0 to ${MAX_STOCK}`);
  return Number(v);
}
