import { describe, expect, it } from 'vitest';
import { destinationPrefix } from '../../protocol/address/prefix.ts';

describe('destinationPrefix', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['8.8.8.8', '8.8.8.0/24'],
    ['0.0.0.0', '0.0.0.0/24'],
    ['255.255.255.255', '255.255.255.0/24'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['2001:0db8:0000:0001::1', '2001:db8::/48'],
    ['2001:DB8:ABCD:FFFF:FFFF:FFFF:FFFF:FFFF', '2001:db8:abcd::/48'],
    ['::1', '::/48'],
    ['::ffff:192.0.2.9', '192.0.2.0/24'],
    ['::ffff:c000:209', '192.0.2.0/24'],
    ['fe80::1%eth0', 'fe80::/48'],
    // The prefix is the address's own network, not the IPv4 address a 6to4 address carries.
    ['2002:a00:1::1', '2002:a00:1::/48'],
  ])('%s is in %s', (ip, prefix) => {
    expect(destinationPrefix(ip)).toBe(prefix);
  });

  it('gives every address of one block the same prefix, and the next block another', () => {
    expect(destinationPrefix('198.51.100.1')).toBe(destinationPrefix('198.51.100.254'));
    expect(destinationPrefix('198.51.100.1')).not.toBe(destinationPrefix('198.51.101.1'));
    expect(destinationPrefix('2001:db8:1:2::1')).toBe(destinationPrefix('2001:db8:1:ffff::9'));
    expect(destinationPrefix('2001:db8:1::1')).not.toBe(destinationPrefix('2001:db8:2::1'));
  });

  it('has no prefix for what is not an address', () => {
    expect(destinationPrefix('example.com')).toBeNull();
    expect(destinationPrefix('192.0.2.0/24')).toBeNull();
    expect(destinationPrefix('')).toBeNull();
    expect(destinationPrefix(null)).toBeNull();
  });
});
