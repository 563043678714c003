import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../server/parse/ip-address.ts';

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
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('agrees with node:net on which of many generated strings are addresses', () => {
    // Random strings over the characters addresses are made of: whatever parseIp accepts, Node accepts.
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
      if (parsed !== null) {
        accepted++;
        expect(isIP(text), text).not.toBe(0);
        expect(isIP(parsed.address), text).toBe(parsed.version);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});
