import { isIPv6 } from 'node:net';

/**
 * The network a client address stands for, as limits count clients: an IPv4 address itself, an IPv6
 * address by its /64 (one subscriber's line or host is given a whole /64, and can pick any address in
 * it), an IPv4-mapped IPv6 address as the IPv4 one. Anything else is returned as it is.
 */
export function networkOf(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!isIPv6(address)) return address;
  const zone = address.indexOf('%');
  const bare = zone < 0 ? address : address.slice(0, zone);
  const [head, tail = ''] = bare.split('::') as [string, string?];
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = bare.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}
