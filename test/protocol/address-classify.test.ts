import { describe, expect, it } from 'vitest';
import { classifyAddress, describeAddress, inspectAddress } from '../../protocol/address/classify.ts';
import type { AddressClass } from '../../protocol/annotated.ts';
import { DetourwatchError } from '../../protocol/errors.ts';

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
  // NAT64 reaches the IPv4 address in its last 32 bits (issue 16: judged by what it reaches; was 'reserved').
  ['64:ff9b::8.8.8.8', 'global'],
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
    const mapped = {
      class: 'global',
      version: 4,
      lookupAddress: '8.8.4.4',
      embedded: { form: 'ipv4-mapped', address: '8.8.4.4' },
    };
    expect(inspectAddress('::ffff:8.8.4.4')).toEqual(mapped);
    expect(inspectAddress('::ffff:0808:0404')).toEqual(mapped);
  });

  it('keeps other addresses, in canonical spelling, with nothing embedded', () => {
    expect(inspectAddress('2001:4860::1')).toEqual({
      class: 'global',
      version: 6,
      lookupAddress: '2001:4860::1',
    });
    expect(inspectAddress('8.8.8.8')).toEqual({ class: 'global', version: 4, lookupAddress: '8.8.8.8' });
    expect(inspectAddress('2001:4860:0:0::1')).toStrictEqual({
      class: 'global',
      version: 6,
      lookupAddress: '2001:4860::1',
    });
  });
});

describe('addresses that carry an IPv4 address', () => {
  // [address, class, form, the IPv4 address that decides]. The Teredo rows use RFC 4380's layout
  // 2001:0:SERVER:flags:port:~CLIENT; the first is the well-known published example (server 65.54.227.120,
  // client 192.0.2.45).
  const embedded: [string, AddressClass, string, string][] = [
    ['2002:0a00:0001::1', 'private', '6to4', '10.0.0.1'],
    ['2002:7f00:1::1', 'loopback', '6to4', '127.0.0.1'],
    ['2002:c000:0201::1', 'documentation', '6to4', '192.0.2.1'],
    ['2002:a9fe:0101::1', 'link-local', '6to4', '169.254.1.1'],
    ['2002:6440:1::', 'cgnat', '6to4', '100.64.0.1'],
    ['2002:e000:1:ffff::1', 'multicast', '6to4', '224.0.0.1'],
    ['2002:c612:1::1', 'benchmarking', '6to4', '198.18.0.1'],
    ['2002::1', 'unspecified', '6to4', '0.0.0.0'],
    ['2002:0808:0808::1', 'global', '6to4', '8.8.8.8'],
    ['2001:0000:4136:e378:8000:63bf:3fff:fdd2', 'documentation', 'teredo', '192.0.2.45'],
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private', 'teredo', '10.0.0.1'],
    ['2001:0:4136:e378::80ff:fffe', 'loopback', 'teredo', '127.0.0.1'],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'global', 'teredo', '8.8.8.8'],
    // A global client behind a special server: the server is named.
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'private', 'teredo', '10.0.0.1'],
    ['64:ff9b::10.0.0.1', 'private', 'nat64', '10.0.0.1'],
    ['64:ff9b::a00:1', 'private', 'nat64', '10.0.0.1'],
    ['64:ff9b::127.0.0.1', 'loopback', 'nat64', '127.0.0.1'],
    ['64:ff9b::c000:201', 'documentation', 'nat64', '192.0.2.1'],
    ['64:ff9b::8.8.8.8', 'global', 'nat64', '8.8.8.8'],
    // The local-use prefix: special addresses are named; what a global one reaches only its network knows.
    ['64:ff9b:1::10.0.0.1', 'private', 'nat64', '10.0.0.1'],
    ['64:ff9b:1:abcd::192.168.0.1', 'private', 'nat64', '192.168.0.1'],
    ['64:ff9b:1::8.8.8.8', 'reserved', 'nat64', '8.8.8.8'],
    ['::ffff:10.0.0.1', 'private', 'ipv4-mapped', '10.0.0.1'],
    ['::FFFF:a9fe:1', 'link-local', 'ipv4-mapped', '169.254.0.1'],
    ['::ffff:8.8.8.8', 'global', 'ipv4-mapped', '8.8.8.8'],
    ['::10.0.0.1', 'private', 'ipv4-compatible', '10.0.0.1'],
    ['::127.0.0.1', 'loopback', 'ipv4-compatible', '127.0.0.1'],
    // Deprecated and routed by nobody: a global IPv4 address inside does not make it reachable.
    ['::8.8.8.8', 'reserved', 'ipv4-compatible', '8.8.8.8'],
  ];

  it.each(embedded)('%s is %s (%s carrying %s)', (address, cls, form, inner) => {
    expect(inspectAddress(address)).toEqual({
      class: cls,
      version: 4,
      lookupAddress: inner,
      embedded: { form, address: inner },
    });
  });

  it.each(embedded.filter(([, cls]) => cls !== 'global'))(
    'names %s as carrying %s',
    (address, _cls, _f, inner) => {
      expect(describeAddress(address)).toContain(`carrying ${inner}`);
    },
  );

  it.each([
    ['2001:db8::10.0.0.1', 'documentation'],
    ['::ffff:0:10.0.0.1', 'reserved'], // IPv4-translated (SIIT): not routed on the Internet
    ['2003::a00:1', 'global'],
    ['2001:1::a00:1', 'global'],
    ['64:ff9b:2::10.0.0.1', 'reserved'],
  ] as const)('%s carries nothing: it is %s in its own right', (address, cls) => {
    const inspected = inspectAddress(address);
    expect(inspected.class).toBe(cls);
    expect(inspected.embedded).toBeUndefined();
    expect(inspected.version).toBe(6);
  });
});
