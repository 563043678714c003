import { describe, expect, it } from 'vitest';
import type { AddressClass } from '../../protocol/annotated.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import { classifyAddress, inspectAddress, parseV6 } from '../../server/geo/address-class.ts';

const table: [string, AddressClass][] = [
  // IPv4 private (RFC 1918) and their edges
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['9.255.255.255', 'global'],
  ['11.0.0.0', 'global'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.15.255.255', 'global'],
  ['172.32.0.0', 'global'],
  ['192.168.1.1', 'private'],
  ['192.169.0.1', 'global'],
  // CGNAT (RFC 6598)
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.63.255.255', 'global'],
  ['100.128.0.0', 'global'],
  // loopback, link-local, unspecified, "this network"
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.1.1', 'link-local'],
  ['169.253.255.255', 'global'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'reserved'],
  // documentation (RFC 5737)
  ['192.0.2.1', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.255', 'documentation'],
  ['203.0.114.0', 'global'],
  ['192.0.3.0', 'global'],
  // IETF protocol assignments, benchmarking
  ['192.0.0.8', 'reserved'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['198.20.0.0', 'global'],
  // multicast, class E, broadcast
  ['224.0.0.1', 'multicast'],
  ['239.255.255.255', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  // ordinary public addresses
  ['8.8.8.8', 'global'],
  ['223.255.255.255', 'global'],
  // IPv6 specials
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::2', 'reserved'],
  ['fc00::1', 'private'],
  ['fdff:ffff::1', 'private'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf::1', 'link-local'],
  ['fec0::1', 'reserved'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
  ['2001:db9::1', 'global'],
  ['3fff::1', 'documentation'],
  ['3fff:0fff::1', 'documentation'],
  ['3fff:1000::1', 'global'],
  ['2001:2::1', 'benchmarking'],
  ['2001:2:0:1::1', 'benchmarking'],
  ['2001:2:1::1', 'global'],
  ['2001:20::1', 'reserved'],
  ['64:ff9b::8.8.8.8', 'reserved'],
  ['64:ff9b:1::1', 'reserved'],
  ['100::1', 'reserved'],
  ['4000::1', 'reserved'],
  ['2001:4860:4860::8888', 'global'],
  ['2a00:1450:4001::1', 'global'],
  // IPv4-mapped IPv6 is judged as the IPv4 address it carries
  ['::ffff:8.8.8.8', 'global'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:c000:0201', 'documentation'],
  ['::ffff:127.0.0.1', 'loopback'],
];

describe('classifyAddress', () => {
  it.each(table)('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it.each([
    '',
    'example.com',
    '1.2.3',
    '256.1.1.1',
    '1.2.3.4/24',
    '::g',
    '1::2::3',
    ' 8.8.8.8',
    'x'.repeat(500),
  ])('rejects %j with a DetourwatchError naming the text', (text) => {
    const thrown = (() => {
      try {
        classifyAddress(text);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(thrown).toBeInstanceOf(DetourwatchError);
    expect((thrown as DetourwatchError).code).toBe('PARSE_FAILED');
    expect((thrown as DetourwatchError).message).toContain(text.slice(0, 20));
    expect((thrown as DetourwatchError).message.length).toBeLessThan(200);
  });
});

describe('inspectAddress', () => {
  it('looks up an IPv4-mapped IPv6 address as IPv4, in either notation', () => {
    expect(inspectAddress('::ffff:8.8.4.4')).toEqual({
      class: 'global',
      version: 4,
      lookupAddress: '8.8.4.4',
    });
    expect(inspectAddress('::ffff:0808:0404')).toEqual({
      class: 'global',
      version: 4,
      lookupAddress: '8.8.4.4',
    });
  });

  it('keeps other addresses as given', () => {
    expect(inspectAddress('2001:4860::1')).toEqual({
      class: 'global',
      version: 6,
      lookupAddress: '2001:4860::1',
    });
    expect(inspectAddress('8.8.8.8')).toEqual({ class: 'global', version: 4, lookupAddress: '8.8.8.8' });
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
