import { connect, type Socket } from 'node:net';

/** A raw connection to a server: what it received, and whether and when the server closed it. */
export interface RawClient {
  socket: Socket;
  received(): string;
  /** Milliseconds from connect to the server closing the connection (or it failing). */
  closedAfter: Promise<number>;
  closed: boolean;
}

/** Opens a connection from `localAddress` (any of 127.0.0.0/8 on loopback), or rejects with its error. */
export function rawClient(url: string, opts: { localAddress?: string; reading?: boolean } = {}): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ port: Number(port), host: hostname, localAddress: opts.localAddress });
    let received = '';
    socket.on('error', () => {});
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      const opened = performance.now();
      if (opts.reading === false) {
        socket.pause();
        // A client that reads nothing learns that the server closed the connection only when it
        // writes: an empty line, which HTTP allows between requests, a few times a second.
        const poke = setInterval(() => socket.write('\r\n'), 250);
        socket.once('close', () => clearInterval(poke));
      } else {
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('latin1');
        });
      }
      const client: RawClient = {
        socket,
        received: () => received,
        closed: false,
        closedAfter: new Promise((done) =>
          socket.once('close', () => {
            client.closed = true;
            done(performance.now() - opened);
          }),
        ),
      };
      resolve(client);
    });
  });
}

/** Opens `count` connections, at most `parallel` being opened at once; a refusal or reset is counted, not thrown. */
export async function rawClients(
  url: string,
  count: number,
  opts: { localAddress?: string; reading?: boolean; parallel?: number } = {},
): Promise<{ clients: RawClient[]; failed: number }> {
  const clients: RawClient[] = [];
  let failed = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.parallel ?? 200 }, async () => {
      while (next < count) {
        next++;
        try {
          clients.push(await rawClient(url, opts));
        } catch {
          failed++;
        }
      }
    }),
  );
  return { clients, failed };
}

/** A GET as a browser sends it, with `extra` header lines. */
export const rawGet = (path: string, extra: string[] = []) => [`GET ${path} HTTP/1.1`, 'Host: terning', ...extra, '', ''].join('\r\n');
