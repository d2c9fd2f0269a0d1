import { InvalidArgumentError, type Command } from 'commander';
import { adminEventPath } from '../core/adapters/admin-api/client.ts';
import { EVENT_ID, MAX_STOCK, eventTime, stockCount } from '../core/domain/rules.ts';
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
    .option('--event <id>', 'the event (default: the default event)', eventArgument)
    .option('--json', 'print JSON');
}

export interface TargetOptions extends Pick<SettingsFlags, 'config' | 'url' | 'adminKey' | 'actor'> {
  event?: string;
  json?: boolean;
}

export function target(o: TargetOptions): AdminTarget {
  const s = resolveSettings({ config: o.config, url: o.url, adminKey: o.adminKey, actor: o.actor });
  return { url: s.url, adminKey: s.adminKey, actor: s.actor };
}

export function eventPath(o: TargetOptions, rest: string): string {
  return adminEventPath(o.event, rest);
}

/** A stock given on the command line, checked as the API checks it (core/domain/rules.ts). */
export function stockArgument(v: string): number {
  if (!/^\d+$/.test(v) || !stockCount.safeParse(Number(v)).success)
    throw new InvalidArgumentError(`the stock is a whole number from 0 to ${MAX_STOCK}`);
  return Number(v);
}

/** An event id given on the command line, checked as the API checks it. */
export function eventArgument(v: string): string {
  if (!EVENT_ID.test(v)) throw new InvalidArgumentError(`an event id is lower-case letters, digits and dashes (got "${v}")`);
  return v;
}

/** A time given on the command line (anything Date reads), sent as ISO 8601 and checked as the API checks it. */
export function timeArgument(v: string): string {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('give a time like 2026-12-01T10:00:00+09:00');
  const iso = d.toISOString();
  if (!eventTime.safeParse(iso).success) throw new InvalidArgumentError(`a time between the years 2000 and 9998 (got "${v}")`);
  return iso;
}
