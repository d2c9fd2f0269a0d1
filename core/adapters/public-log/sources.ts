import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';

/** Where a checker reads an event's public log: a terning server, or the static files of an export. */
export interface LogSource {
  /** Where it reads from, for the report. */
  readonly where: string;
  jwks(): Promise<JSONWebKeySet>;
  checkpoint(eventId: string): Promise<string>;
  entries(eventId: string): Promise<string[]>;
  /** The server's inclusion proof for a ticket, when the source serves proofs. */
  proof?(eventId: string, ticket: number): Promise<{ index: number; size: number; proof: string[]; checkpoint: string } | null>;
}

/** The source could not be read (unreachable, refused, missing files): not a finding about the log. */
export class SourceUnavailable extends Error {}

/** The files `terning log export` writes into its folder, one set per event. */
export const EXPORT_FILES = { jwks: 'jwks.json', checkpoint: 'checkpoint', entries: 'entries.json', proofs: 'proofs' } as const;

export function httpSource(base: string): LogSource {
  const get = async (path: string, as: 'json' | 'text' = 'json') => {
    let res: Response;
    try {
      res = await fetch(new URL(path, base));
    } catch (e) {
      throw new SourceUnavailable(`${base} did not answer: ${(e as Error).message}`);
    }
    if (res.status === 404) return null;
    if (!res.ok) throw new SourceUnavailable(`${base}${path} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return as === 'json' ? res.json() : res.text();
  };
  const must = async <T>(path: string, as: 'json' | 'text' = 'json'): Promise<T> => {
    const v = await get(path, as);
    if (v === null) throw new SourceUnavailable(`${base}${path}: not found (an unknown event, or one not public yet)`);
    return v as T;
  };
  const log = (eventId: string) => `/api/events/${eventId}/log`;
  return {
    where: base,
    jwks: () => must('/.well-known/jwks.json'),
    checkpoint: (eventId) => must(`${log(eventId)}/checkpoint`, 'text'),
    async entries(eventId) {
      const out: string[] = [];
      for (;;) {
        const page = await must<{ size: number; entries: string[] }>(`${log(eventId)}/entries?start=${out.length}`);
        out.push(...page.entries);
        if (page.entries.length === 0 || out.length >= page.size) return out;
      }
    },
    proof: (eventId, ticket) => get(`${log(eventId)}/proof?ticket=${ticket}`),
  };
}

/**
 * The files of an export (`terning log export`), from the folder it wrote or from wherever they are
 * served as they are (a CDN: `https://logs.example.com/spring-sale/`): its keys, checkpoint and
 * entries, and each decision's inclusion proof.
 */
export function folderSource(dir: string): LogSource {
  const remote = /^https?:\/\//i.test(dir);
  const where = (file: string) => (remote ? new URL(file, dir.endsWith('/') ? dir : `${dir}/`).href : join(dir, file));
  const read = async (file: string, missingIsNull = false): Promise<string | null> => {
    try {
      if (!remote) return await readFile(join(dir, file), 'utf8');
      const res = await fetch(where(file));
      if (res.status === 404 && missingIsNull) return null;
      if (!res.ok) throw new Error(`answered ${res.status}`);
      return await res.text();
    } catch (e) {
      if (missingIsNull && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new SourceUnavailable(`${where(file)} can not be read: ${(e as Error).message}`);
    }
  };
  const json = async <T>(file: string, missingIsNull = false): Promise<T> => {
    const text = await read(file, missingIsNull);
    if (text === null) return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SourceUnavailable(`${where(file)} is not JSON`);
    }
  };
  return {
    where: dir,
    jwks: () => json(EXPORT_FILES.jwks),
    checkpoint: async () => (await read(EXPORT_FILES.checkpoint))!,
    entries: async () => (await json<{ entries: string[] }>(EXPORT_FILES.entries)).entries,
    proof: (_, ticket) => json(`${EXPORT_FILES.proofs}/${ticket}.json`, true),
  };
}
