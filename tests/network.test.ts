import test from 'ava';
import { networkOf } from '../core/use-cases/sign-in/network.ts';

const DEFAULT = { ipv4: 32, ipv6: 64 };

test('an IPv6 client is its /64, however its address is written', (t) => {
  const net = networkOf('2001:db8:1:2::1', DEFAULT);
  t.is(net, '2001:db8:1:2:0:0:0:0/64');
  for (const ip of ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002::abcd', '2001:DB8:1:2:0:0:0:9', '2001:db8:1:2::7%eth0'])
    t.is(networkOf(ip, DEFAULT), net, ip);
  t.not(networkOf('2001:db8:1:3::1', DEFAULT), net);
  t.is(networkOf('2001:db8:1:2:8000::1', { ipv4: 32, ipv6: 56 }), '2001:db8:1:0:0:0:0:0/56');
  t.is(networkOf('::1', DEFAULT), '0:0:0:0:0:0:0:0/64');
});

test('an IPv4 client is its address, or its prefix when set; written as IPv6 it is still IPv4', (t) => {
  t.is(networkOf('203.0.113.7', DEFAULT), '203.0.113.7/32');
  t.is(networkOf('::ffff:203.0.113.7', DEFAULT), '203.0.113.7/32');
  t.is(networkOf('203.0.113.7', { ipv4: 24, ipv6: 64 }), '203.0.113.0/24');
  t.is(networkOf('203.0.113.200', { ipv4: 24, ipv6: 64 }), '203.0.113.0/24');
  t.is(networkOf('198.51.100.255', { ipv4: 1, ipv6: 64 }), '128.0.0.0/1');
});

test('what is no address is kept apart as itself, never merged with a real network', (t) => {
  t.is(networkOf('not-an-ip', DEFAULT), 'other:not-an-ip');
  t.is(networkOf('1:2:3', DEFAULT), 'other:1:2:3');
  t.is(networkOf('1::2::3', DEFAULT), 'other:1::2::3');
});
