import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatV4, formatV6, parseIp, parseV4, parseV6, readIp } from '../../protocol/address/parse.ts';

describe('parseIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1', 4],
    ['0.0.0.0', '0.0.0.0', 4],
    ['255.255.255.255', '255.255.255.255', 4],
    ['2001:db8::1', '2001:db8::1', 6],
    ['2001:DB8::1', '2001:db8::1', 6],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6], // RFC 5952: the first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 6], // a single zero group is not compressed
    ['::', '::', 6],
    ['::1', '::1', 6],
    ['1::', '1::', 6],
    ['fe80::1%eth0', 'fe80::1', 6],
    ['::ffff:192.0.2.7', '192.0.2.7', 4], // IPv4-mapped: the packets were IPv4
    ['::ffff:c000:207', '192.0.2.7', 4],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201', 6],
    ['2001:668:0:3:ffff:0:d178:83bd', '2001:668:0:3:ffff:0:d178:83bd', 6],
  ])('%s -> %s (IPv%i)', (text, address, version) => {
    expect(parseIp(text)).toEqual({ address, version });
  });

  it.each([
    '',
    '192.0.2',
    '192.0.2.1.5',
    '192.0.2.256',
    '192.0.2.01', // leading zero: octal in some parsers
    '192.0.2.-1',
    ' 192.0.2.1',
    '2001:db8::1::2',
    '2001:db8:::1',
    ':2001:db8::1',
    '2001:db8::1:',
    '2001:db8:1:2:3:4:5:6:7',
    '2001:db8:1:2:3:4:5',
    '2001:db8::12345',
    'g::1',
    '::ffff:192.0.2',
    '*',
    'router.example.net',
    `${'1:'.repeat(40)}1`,
    'fe80::1%', // an empty zone
    'fe80::1%eth 0',
    '192.0.2.1%eth0', // only IPv6 has zones
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('agrees with node:net on which of many generated strings are addresses', () => {
    // Random strings over the characters addresses are made of: parseIp accepts exactly what Node accepts.
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const alphabet = '0123456789abcdef:.';
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const length = 2 + (next() % 20);
      let text = '';
      for (let j = 0; j < length; j++) text += alphabet[next() % alphabet.length];
      const parsed = parseIp(text);
      expect(parsed !== null, text).toBe(isIP(text) !== 0);
      if (parsed !== null) {
        accepted++;
        expect(isIP(text), text).not.toBe(0);
        expect(isIP(parsed.address), text).toBe(parsed.version);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('readIp', () => {
  it('keeps the zone apart from the address, so a target check can refuse it', () => {
    expect(readIp('fe80::1%eth0')).toEqual({
      version: 6,
      groups: [0xfe80, 0, 0, 0, 0, 0, 0, 1],
      zone: 'eth0',
    });
    expect(readIp('2001:db8::1')).toEqual({
      version: 6,
      groups: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1],
      zone: null,
    });
  });

  it('reads IPv4 as one unsigned 32-bit number', () => {
    expect(readIp('255.255.255.255')).toEqual({ version: 4, value: 0xffffffff });
    expect(readIp('192.0.2.1')).toEqual({ version: 4, value: 0xc0000201 });
  });

  it('spells every IPv4 number back as it was read', () => {
    for (const text of ['0.0.0.0', '1.2.3.4', '128.0.0.1', '203.0.113.255', '255.255.255.255']) {
      const value = parseV4(text);
      expect(value).not.toBeNull();
      expect(formatV4(value as number)).toBe(text);
    }
  });

  it('formats groups as RFC 5952 does', () => {
    expect(formatV6([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
    expect(formatV6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe('2001:db8::1:0:0:1');
    expect(formatV6([1, 0, 1, 0, 1, 0, 1, 0])).toBe('1:0:1:0:1:0:1:0');
    expect(formatV6([0x2001, 0xdb8, 0, 0, 0, 0, 0xabcd, 0])).toBe('2001:db8::abcd:0');
  });
});

describe('parseV4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['10.0.0.1', 0x0a000001],
    ['255.255.255.255', 0xffffffff],
  ])('%s is %i', (text, value) => {
    expect(parseV4(text)).toBe(value);
  });

  it('returns null for IPv6 and garbage', () => {
    expect(parseV4('::ffff:10.0.0.1')).toBeNull();
    expect(parseV4('10.0.0.01')).toBeNull();
    expect(parseV4('10.0.0')).toBeNull();
  });
});

describe('parseV6', () => {
  it.each([
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['2001:db8::', [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]],
    ['2001:DB8::8:800:200C:417A', [0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a]],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
    ['1::8', [1, 0, 0, 0, 0, 0, 0, 8]],
    ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]],
    ['1:2:3:4:5:6:1.2.3.4', [1, 2, 3, 4, 5, 6, 0x0102, 0x0304]],
    ['fe80::abcd%eth0', [0xfe80, 0, 0, 0, 0, 0, 0, 0xabcd]],
  ])('%s', (text, groups) => {
    expect(parseV6(text)).toEqual(groups);
  });

  it('returns null for IPv4 and garbage', () => {
    expect(parseV6('1.2.3.4')).toBeNull();
    expect(parseV6('1:2')).toBeNull();
  });
});
