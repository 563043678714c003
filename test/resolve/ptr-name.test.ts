import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { arpaName } from '../../server/resolve/arpa-name.ts';
import { cleanPtrName } from '../../server/resolve/ptr-name.ts';
import { parseResolverAddress } from '../../server/resolve/resolver-address.ts';
import { createTtlCache } from '../../server/resolve/ttl-cache.ts';

describe('cleanPtrName: reverse names are untrusted input', () => {
  it('keeps host names, lower-cased, without the root dot', () => {
    expect(cleanPtrName('AE-2.r20.DLLSTX09.us.bb.gin.ntt.net.')).toBe('ae-2.r20.dllstx09.us.bb.gin.ntt.net');
    expect(cleanPtrName('_gw.example.net')).toBe('_gw.example.net');
  });

  it('drops spaces, markup, empty and overlong labels, overlong names', () => {
    for (const bad of [
      'bad name.example.net',
      '<script>alert(1)</script>.example.net',
      'a..example.net',
      '',
      '.',
      `${'a'.repeat(64)}.example.net`,
      `${'abcdefghi.'.repeat(25)}example.net`,
      'ünï.example.net',
      'tab\t.example.net',
    ]) {
      expect(cleanPtrName(bad), bad).toBeNull();
    }
    expect(cleanPtrName(`${'a'.repeat(63)}.example.net`)).not.toBeNull();
  });
});

describe('createTtlCache', () => {
  it('expires entries after their TTL and evicts the least recently used beyond the cap', () => {
    let t = 0;
    const cache = createTtlCache<string | null>(2, () => t);
    cache.set('a', 'x', 100);
    cache.set('b', null, 50);
    expect(cache.get('b')).toBeNull();
    t = 60;
    expect(cache.get('b')).toBeUndefined();
    cache.set('b', 'y', 1000);
    expect(cache.get('a')).toBe('x'); // a is now the most recently used
    cache.set('c', 'z', 1000);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('x');
    expect(cache.get('c')).toBe('z');
  });
});

describe('parseResolverAddress', () => {
  it('takes addresses with optional ports', () => {
    for (const ok of ['127.0.0.1', '127.0.0.1:5353', '::1', '[::1]:5353', '[2001:db8::53]'])
      expect(parseResolverAddress(ok)).toBe(ok);
  });
  it('refuses names and bad ports', () => {
    for (const bad of ['dns.example', '127.0.0.1:0', '127.0.0.1:70000', '[::1]:x', ''])
      expect(() => parseResolverAddress(bad), bad).toThrow(DetourwatchError);
  });
});

describe('arpaName', () => {
  it('spells IPv4 and IPv6 reverse names', () => {
    expect(arpaName('198.51.100.7')).toBe('7.100.51.198.in-addr.arpa');
    expect(arpaName('2001:db8::1')).toBe(`${'1'}.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`);
    expect(arpaName('not an address')).toBeNull();
  });
});
