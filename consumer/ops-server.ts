import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Readiness } from '../core/platform/health.ts';

/** The consumer's small HTTP face for the platform: /healthz, /readyz and /metrics. */
export async function startOpsServer(opts: {
  host: string;
  port: number;
  registry: Registry;
  readiness: () => Promise<Readiness>;
}): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => void answer(req, res));
  async function answer(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'GET') return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'only GET' } });
      if (path === '/healthz') return json(200, { status: 'ok' });
      if (path === '/readyz') {
        const r = await opts.readiness();
        return json(r.ready ? 200 : 503, r);
      }
      if (path === '/metrics') {
        res.writeHead(200, { 'Content-Type': opts.registry.contentType });
        return res.end(await opts.registry.metrics());
      }
      json(404, { error: { code: 'NOT_FOUND', message: `no such endpoint: ${path}` } });
    } catch {
      json(500, { error: { code: 'INTERNAL', message: 'something went wrong on our side' } });
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return { url: `http://${opts.host}:${(server.address() as AddressInfo).port}`, server };
}
