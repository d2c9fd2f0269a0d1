/**
 * The SES emulator: aws-ses-v2-local (npm), run as `node <pkg>/dist/cli.js --host H --port P`.
 * It speaks the SES v1 and v2 HTTP APIs, so @aws-sdk/client-sesv2 works against SES_ENDPOINT with
 * any region and dummy credentials (it only checks that an `Authorization: AWS...` header exists).
 *
 * Sent mail is kept in memory only (gone when the emulator restarts) and read back over HTTP:
 *   GET  /store              -> { "templates": {...}, "emails": SesStoredEmail[] }, oldest first
 *   GET  /store?since=<unix seconds>  only emails with `at >= since` (400 if not an integer)
 *   POST /clear-store        empties emails and templates -> { "message": "Store cleared" }
 *   GET  /health-check       200 with an empty body
 *   GET  /                   a web inbox for people
 * A SendEmail with Content.Simple is stored as:
 *   { "messageId": "ses-123456789", "from": "gift@terning.local", "replyTo": [],
 *     "destination": { "to": ["a@example.com"], "cc": [], "bcc": [] },
 *     "subject": "...", "body": { "text": "...", "html": "..." },   // each key absent if not sent
 *     "attachments": [], "at": 1767225600 }                          // at: unix time in SECONDS
 * `headers` appears only when the request had Content.Simple.Headers. The MessageId returned to
 * the sender equals `messageId` here.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnDetached } from './process.ts';
import type { Service } from './service.ts';
import { listenHost } from './net.ts';

export interface SesStoredEmail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: { content: string; contentType: string; filename?: string; size: number }[];
  headers?: { name: string; value: string }[];
  /** Unix time in seconds. */
  at: number;
}

const endpoint = () => new URL(process.env.SES_ENDPOINT || 'http://127.0.0.1:8005');

/** Emails the emulator has accepted, oldest first; `sinceSeconds` filters on `at`. */
export async function readSesEmails(sinceSeconds?: number): Promise<SesStoredEmail[]> {
  const u = new URL('/store', endpoint());
  if (sinceSeconds !== undefined) u.searchParams.set('since', String(Math.floor(sinceSeconds)));
  const res = await fetch(u, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${u} answered ${res.status}`);
  return ((await res.json()) as { emails: SesStoredEmail[] }).emails;
}

export const ses: Service = {
  name: 'ses',
  marker: 'aws-ses-v2-local',
  // The emulator is an npm package, run on terning's own Node.
  tools: [],
  startTimeoutMs: 15_000,
  stopTimeoutMs: 5_000,
  address: () => endpoint().origin,
  endpoint: () => ({ host: endpoint().hostname, port: Number(endpoint().port || 80) }),

  async ping() {
    const res = await fetch(new URL('/health-check', endpoint()), { signal: AbortSignal.timeout(1000) });
    if (!res.ok) throw new Error(`health check answered ${res.status}`);
  },

  async start() {
    const cli = join(dirname(createRequire(import.meta.url).resolve('aws-ses-v2-local/package.json')), 'dist', 'cli.js');
    const { host, port } = this.endpoint();
    await spawnDetached('ses', process.execPath, [cli, '--host', listenHost(host), '--port', String(port)]);
  },
};
