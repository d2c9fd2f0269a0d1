import type { Tool } from './tools.ts';

export type ServiceName = 'mysql' | 'redis' | 'kafka' | 'ses';

export type Log = (line: string) => void;

/** What index.ts needs to know to bring one service up, look at it, or stop it. */
export interface Service {
  name: ServiceName;
  /** Where clients reach it, from the environment, with any password hidden. */
  address(): string;
  /** Host and port it listens on, to tell "nothing there" from "something else there". */
  endpoint(): { host: string; port: number };
  /** Resolves only when the service answers a real request, not merely accepts a connection. */
  ping(): Promise<void>;
  /** What starting our own copy takes from the machine (installed by start() as root, or asked for). */
  tools: Tool[];
  /** Starts our own copy in the background (pid file written); index.ts then waits on ping. */
  start(log: Log): Promise<void>;
  /** Runs once it answers, whether it is ours or not. */
  ready?(log: Log): Promise<void>;
  /** A string in the started process's command line, proving a pid file still names our process. */
  marker: string;
  /** Further processes it runs beside the first (pid files and markers), stopped with it. */
  members?(): { name: string; marker: string }[];
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

/** A URL for display: the password replaced, so statuses can be printed and logged. */
export function redact(url: URL): string {
  if (!url.password) return url.toString();
  const copy = new URL(url);
  copy.password = '***';
  return copy.toString();
}
