import { describe, expect, it } from 'vitest';
import { tokenizeHostname } from '../../server/placement/hostname.ts';

describe('tokenizeHostname', () => {
  it.each([
    ['ae-1.r21.dllstx09.us.bb.gin.ntt.net', 'ntt.net', ['ae-1', 'r21', 'dllstx09', 'us', 'bb', 'gin']],
    ['dfw25s12-in-f46.1e100.net', '1e100.net', ['dfw25s12-in-f46']],
    ['core1.lon2.bt.co.uk', 'bt.co.uk', ['core1', 'lon2']],
    ['pool-30-42-40-181.telecel.com.py', 'telecel.com.py', ['pool-30-42-40-181']],
    ['xe-0.edge1.example.com.', 'example.com', ['xe-0', 'edge1']],
    ['Dallas1.Example.NET', 'example.net', ['dallas1']],
    ['dns.google', 'dns.google', []],
  ])('%s: registered domain %s, labels before it %j', (name, suffix, labels) => {
    const t = tokenizeHostname(name);
    expect(t?.suffix).toBe(suffix);
    expect(t?.labels).toEqual(labels);
  });

  it('splits labels into alphabetic and numeric runs, numbering labels from the domain leftwards', () => {
    const t = tokenizeHostname('ae-1.r21.dllstx09.us.bb.gin.ntt.net');
    const dllstx = t?.tokens.find((k) => k.text === 'dllstx');
    expect(dllstx).toMatchObject({
      kind: 'alpha',
      label: 3,
      part: 0,
      startsPart: true,
      beforeDigits: true,
      wholePart: false,
    });
    expect(t?.tokens.find((k) => k.text === '09')).toMatchObject({
      kind: 'digits',
      label: 3,
      startsPart: false,
    });
    const ae = t?.tokens.find((k) => k.text === 'ae');
    expect(ae).toMatchObject({ label: 5, part: 0, wholePart: true });
    expect(t?.tokens.find((k) => k.text === '1' && k.label === 5)).toMatchObject({ part: 1 });
  });

  it('marks runs inside a part: the `s` of dfw25s12 does not start its part', () => {
    const t = tokenizeHostname('dfw25s12-in-f46.1e100.net');
    expect(
      t?.tokens.filter((k) => k.kind === 'alpha').map((k) => [k.text, k.startsPart, k.beforeDigits]),
    ).toEqual([
      ['dfw', true, true],
      ['s', false, true],
      ['in', true, false],
      ['f', true, true],
    ]);
  });

  it.each([
    ['192.0.2.1'],
    ['2001:db8::1'],
    ['dsldevice'],
    [''],
    ['bad name.example.net'],
    ['a..b.net'],
    [`${'x'.repeat(64)}.net`],
  ])('%j is not a usable host name', (name) => {
    expect(tokenizeHostname(name)).toBeNull();
  });
});
