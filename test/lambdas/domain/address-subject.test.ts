import { describe, expect, it } from 'vitest';
import { addressSubject } from '../../../lambdas/domain/limits.js';

// The per-address limits (guest sessions) count an IPv6 caller by its /64: one subscriber holds the whole block,
// so counting each address would let anyone with a home connection mint guests without end.
describe('addressSubject', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('%s counts as %s', (address, subject) => {
    expect(addressSubject(address)).toBe(subject);
  });

  it('counts what it cannot read as given, never as someone else', () => {
    for (const odd of ['1:2:3', '1::2::3', '64:ff9b::198.51.100.1', 'not-an-address', ''])
      expect(addressSubject(odd)).toBe(odd);
  });
});
