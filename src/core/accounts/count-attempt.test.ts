import { describe, expect, it } from 'vitest';
import { slowDownMs } from './sign-in.js';
import { clientOf } from './count-attempt.js';

describe('clientOf', () => {
  it('counts IPv4 by address and IPv6 by its /64', () => {
    expect(clientOf('203.0.113.9')).toBe('203.0.113.9');
    expect(clientOf('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientOf('2001:db8:1:2::ffff')).toBe(clientOf('2001:db8:1:2:ffff:0:0:1'));
    expect(clientOf('2001:db8:1:3::1')).not.toBe(clientOf('2001:db8:1:2::1'));
    expect(clientOf('::1')).toBe('0:0:0:0::/64');
    expect(clientOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});

describe('slowDownMs', () => {
  it('waits nothing up to the threshold, then more per failure, never past the cap', () => {
    expect(slowDownMs(1)).toBe(0);
    expect(slowDownMs(10)).toBe(0);
    expect(slowDownMs(11)).toBe(200);
    expect(slowDownMs(15)).toBe(1000);
    expect(slowDownMs(20)).toBe(2000);
    expect(slowDownMs(10_000)).toBe(2000);
  });
});
