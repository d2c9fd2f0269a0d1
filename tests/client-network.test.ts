import test from 'ava';
import { networkOf } from '../core/platform/client-network.ts';

test('an IPv4 address is its own network, written either way', (t) => {
  t.is(networkOf('203.0.113.7'), '203.0.113.7');
  t.is(networkOf('::ffff:203.0.113.7'), '203.0.113.7');
  t.not(networkOf('203.0.113.7'), networkOf('203.0.113.8'));
});

test('every address of an IPv6 /64 is one network, however it is written', (t) => {
  const one = ['2001:db8:0:1::1', '2001:0db8:0000:0001:ffff:ffff:ffff:ffff', '2001:db8::1:0:0:0:2', '2001:DB8:0:1:a:b:c:d', '2001:db8:0:1::1%eth0'];
  t.deepEqual(new Set(one.map(networkOf)), new Set(['2001:db8:0:1::/64']));
  t.not(networkOf('2001:db8:0:2::1'), networkOf('2001:db8:0:1::1'));
  t.is(networkOf('::1'), '0:0:0:0::/64');
  t.is(networkOf('2001:db8::'), '2001:db8:0:0::/64');
});
