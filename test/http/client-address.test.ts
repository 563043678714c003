import { describe, expect, it } from 'vitest';
import { clientAddress, inCidr, parseCidr } from '../../server/net/client-address.ts';

describe('--trust-proxy networks', () => {
  it('match addresses inside them, IPv4-mapped IPv6 as IPv4', () => {
    const lan = parseCidr('10.1.0.0/16');
    expect(inCidr('10.1.200.3', lan)).toBe(true);
    expect(inCidr('::ffff:10.1.2.3', lan)).toBe(true);
    expect(inCidr('10.2.0.1', lan)).toBe(false);
    expect(inCidr('2001:db8::1', parseCidr('2001:db8::/32'))).toBe(true);
    expect(inCidr('2001:db9::1', parseCidr('2001:db8::/32'))).toBe(false);
    expect(inCidr('127.0.0.1', parseCidr('127.0.0.1'))).toBe(true);
  });

  it('refuse what is not a network', () => {
    for (const bad of ['10.0.0.0/33', 'nonsense', '10.0.0.0/8/8', '::/129', '10.0.0.0/-1']) {
      expect(() => parseCidr(bad), bad).toThrow(/prefix|network/);
    }
  });
});

describe('the client address', () => {
  const trusted = [parseCidr('127.0.0.0/8')];

  it('is the socket peer when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', trusted)).toBe('203.0.113.9');
    expect(clientAddress('127.0.0.1', '198.51.100.1', [])).toBe('127.0.0.1');
  });

  it('is the rightmost address a trusted proxy did not add', () => {
    expect(clientAddress('::ffff:127.0.0.1', '198.51.100.1', trusted)).toBe('198.51.100.1');
    // A forged first entry is left of what the proxy appended: it is not believed.
    expect(clientAddress('127.0.0.1', '192.0.2.66, 198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', '198.51.100.1, 127.0.0.2', trusted)).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', 'garbage, 198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', '198.51.100.1, garbage', trusted)).toBe('127.0.0.1');
    expect(clientAddress(undefined, '198.51.100.1', trusted)).toBeNull();
  });
});
