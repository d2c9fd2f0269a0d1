import { connect, createServer, type Server, type Socket } from 'node:net';
import { LINK_SOURCE_ADDRESS, redisNodes } from '../infra/redis.ts';

interface Link {
  client: Socket;
  upstream?: Socket;
}

/**
 * A TCP proxy at each Redis node's address (the node listens TERNING_REDIS_LISTEN_SHIFT ports above,
 * infra/redis.ts), so that a network partition can be made without iptables: cut(node) black-holes, at
 * that node, every connection that comes from LINK_SOURCE_ADDRESS, the address the other nodes and the
 * Sentinels open their links from. The bytes of their open links stop both ways and nothing is closed,
 * as when packets are dropped: the Sentinels' pings go unanswered, the replicas stop acknowledging the
 * stream; a new link of theirs is closed at once. terning's own connections (from 127.0.0.1) pass.
 * heal(node) closes the held links, as the timeouts on both sides would, and lets new ones through.
 */
export class RedisLinks {
  private readonly servers: Server[] = [];
  private readonly links = new Map<string, Set<Link>>();
  private readonly cutOff = new Set<string>();

  static async start(): Promise<RedisLinks> {
    const links = new RedisLinks();
    for (const n of redisNodes()) {
      const open = new Set<Link>();
      links.links.set(n.name, open);
      const server = createServer((client) => links.accept(n.name, client, n.host, n.listenPort, open));
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(n.port, n.host, () => resolve()));
      links.servers.push(server);
    }
    return links;
  }

  private accept(name: string, client: Socket, host: string, port: number, open: Set<Link>): void {
    const link: Link = { client };
    open.add(link);
    client.on('error', () => {});
    client.once('close', () => {
      link.upstream?.destroy();
      open.delete(link);
    });
    // A new link is refused, not held: a connect into a partition fails (times out), where one held
    // open would look connected to a Sentinel, which then takes ~30 s to find the primary down.
    if (this.held(name, link)) {
      client.destroy();
      return;
    }
    this.forward(link, host, port);
  }

  private forward(link: Link, host: string, port: number): void {
    const upstream = connect({ host, port });
    link.upstream = upstream;
    upstream.on('error', () => {});
    upstream.once('close', () => link.client.destroy());
    link.client.pipe(upstream);
    upstream.pipe(link.client);
  }

  private held(name: string, link: Link): boolean {
    return this.cutOff.has(name) && link.client.remoteAddress?.replace(/^::ffff:/, '') === LINK_SOURCE_ADDRESS;
  }

  /** Cuts the node off from the other nodes and the Sentinels; returns how many open links were cut. */
  cut(name: string): number {
    this.cutOff.add(name);
    let cut = 0;
    for (const link of this.links.get(name) ?? []) {
      if (!this.held(name, link)) continue;
      link.client.unpipe();
      link.upstream?.unpipe();
      link.client.pause();
      link.upstream?.pause();
      cut++;
    }
    return cut;
  }

  heal(name: string): void {
    this.cutOff.delete(name);
    for (const link of this.links.get(name) ?? []) {
      if (link.client.remoteAddress?.replace(/^::ffff:/, '') === LINK_SOURCE_ADDRESS && link.client.isPaused()) link.client.destroy();
    }
  }

  async stop(): Promise<void> {
    for (const open of this.links.values()) for (const l of open) l.client.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }
}
