/** How much of a client's address names its network: one subscriber's share, not one of its addresses. */
export interface NetworkPrefixes {
  ipv4: number;
  ipv6: number;
}

/**
 * The network a client address belongs to, as the sign-in limits count it: an IPv6 subscriber gets a
 * whole /64 (and more) and picks a new address in it at will, so one /64 is one client; IPv4 is one
 * address by default (a carrier NAT is already thousands of people), a shorter prefix when configured.
 * An IPv4 address written as IPv6 (`::ffff:203.0.113.7`, as a dual-stack socket reports it) is IPv4.
 */
export function networkOf(ip: string, prefixes: NetworkPrefixes): string {
  const address = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const v4 = mapped ? mapped[1]! : address;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) return ipv4Network(v4, prefixes.ipv4);
  const groups = ipv6Groups(address);
  return groups ? ipv6Network(groups, prefixes.ipv6) : `other:${address}`;
}

function ipv4Network(ip: string, prefix: number): string {
  const n = ip.split('.').reduce((acc, part) => acc * 256 + (Number(part) & 255), 0);
  const kept = prefix === 0 ? 0 : n - (n % 2 ** (32 - prefix));
  const parts = [24, 16, 8, 0].map((shift) => Math.floor(kept / 2 ** shift) % 256);
  return `${parts.join('.')}/${prefix}`;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is none. */
function ipv6Groups(ip: string): number[] | undefined {
  const halves = ip.toLowerCase().split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}

function ipv6Network(groups: number[], prefix: number): string {
  const kept = groups.map((g, i) => {
    const bits = Math.min(16, Math.max(0, prefix - i * 16));
    return bits === 0 ? 0 : g - (g % 2 ** (16 - bits));
  });
  return `${kept.map((g) => g.toString(16)).join(':')}/${prefix}`;
}
