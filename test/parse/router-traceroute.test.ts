/**
 * Router CLI traceroutes from published Apache-2.0 samples (test/fixtures/paste/{cisco,nxos,junos}/SOURCE.md),
 * plus one hand-written Junos sample with MPLS lines. Each expectation is read off the file by hand.
 */
import { describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces, type TraceFormat } from '../../server/parse/index.ts';
import { pasted, replies, warningsOf } from './paste-helpers.ts';

function only(file: string, format: TraceFormat, auto: TraceFormat = format): Trace {
  const text = pasted(file);
  const traces = parseTraces(text, format);
  expect(traces).toHaveLength(1);
  // `auto` recognises the format (Junos and NX-OS print the classic layout: auto reads them as traceroute).
  const detected = parseTraces(text);
  expect(detected.map((t) => t.hops)).toEqual(traces.map((t) => t.hops));
  if (auto === format) expect(detected).toEqual(traces);
  return traces[0] as Trace;
}

function hop(trace: Trace, ttl: number) {
  const found = trace.hops.find((h) => h.ttl === ttl);
  expect(found, `hop ${ttl}`).toBeDefined();
  return found as NonNullable<typeof found>;
}

describe('Cisco IOS / IOS-XE / IOS-XR', () => {
  it('ntc-templates 5: names, timeouts, single and stacked MPLS labels, "0 msec" read as 1 ms', () => {
    const trace = only('cisco/ios-ntc-traceroute-5-mpls.txt', 'cisco');
    expect(trace.destination.address).toBe('39.156.69.79');
    expect(trace.meta?.variant).toBe('cisco-ios');
    expect(trace.hops.map((h) => h.ttl)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(replies(trace).slice(0, 7)).toEqual([
      [1, [['10.255.1.1', 1]]],
      [2, [['10.255.0.5', 1]]], // "0 msec"
      [3, [['192.168.1.254', 1]]],
      [4, [[null, null]]],
      [5, [[null, null]]],
      [6, [['31.55.185.176', 11]]],
      [7, [['195.99.127.118', 12]]],
    ]);
    expect(hop(trace, 7).replies[0]?.name).toBe('core2-hu0-12-0-1.colindale.ukcore.bt.net');
    expect(hop(trace, 11).replies[0]).toMatchObject({
      address: '129.250.4.140',
      rttMs: 15,
      mpls: [{ label: 316962, tc: 0, s: true }],
    });
    expect(hop(trace, 12).replies[0]).toMatchObject({
      address: '129.250.7.65',
      rttMs: 166,
      mpls: [
        { label: 577687, s: false },
        { label: 617891, s: true },
      ],
    });
    expect(replies(trace).at(-1)).toEqual([30, [[null, null]]]);
    expect(warningsOf(trace).some((w) => w.includes('"0 msec"'))).toBe(true);
  });

  it('ntc-templates dns: several responders of one TTL on lines of their own', () => {
    const trace = only('cisco/ios-ntc-traceroute-dns-multipath.txt', 'cisco');
    expect(trace.destination).toEqual({ address: '1.1.1.1', name: 'one.one.one.one' });
    expect(replies(trace).find(([ttl]) => ttl === 7)).toEqual([
      7,
      [
        ['213.121.192.22', 11],
        ['195.99.127.156', 11],
        ['213.121.192.32', 12],
      ],
    ]);
    expect(replies(trace).at(-1)).toEqual([
      10,
      [
        ['1.1.1.1', 11],
        ['1.1.1.1', 14],
        ['1.1.1.1', 12],
      ],
    ]);
  });

  it('ntc-templates 2: "!H" in place of a time is a flagged reply; ten probes at one TTL', () => {
    const trace = only('cisco/ios-ntc-traceroute-2-unreachable.txt', 'cisco');
    expect(hop(trace, 6).replies).toEqual([
      { address: '172.17.10.225', rttMs: null, flag: 'host-unreachable', rawFlag: '!H' },
      { address: null, rttMs: null },
      { address: '172.17.10.225', rttMs: null, flag: 'host-unreachable', rawFlag: '!H' },
    ]);
    // "3 108.170.246.129 13 msec *  *  *  *  *  *  *  *  *"
    expect(hop(trace, 3).replies).toHaveLength(10);
    expect(hop(trace, 3).replies[0]).toEqual({ address: '108.170.246.129', rttMs: 13 });
    expect(hop(trace, 2).replies.map((r) => r.rttMs)).toEqual([169, 142, 135]);
  });

  it('genieparser IOS-XE 5: a four-label stack, the command line skipped with a warning', () => {
    const trace = only('cisco/iosxe-genie-golden-5-label-stack.txt', 'cisco');
    expect(hop(trace, 1).replies.map((r) => r.rttMs)).toEqual([2, 2, 2]);
    expect(hop(trace, 1).replies[0]?.mpls?.map((l) => l.label)).toEqual([16052, 16062, 16063, 39]);
    expect(hop(trace, 3).replies[0]?.mpls?.map((l) => l.label)).toEqual([16063, 39]);
    expect(replies(trace).at(-1)).toEqual([
      4,
      [
        ['192.168.1.1', 2],
        [null, null],
        ['192.168.1.1', 2],
      ],
    ]);
    expect(warningsOf(trace)[0]).toMatch(/^line 2: skipped "traceroute vrf MG501 192.168.1.1 numeric"/);
  });

  it('genieparser IOS-XR: the RP/0/... prompt and time line, MPLS, and the lines after the output warned about', () => {
    const trace = only('cisco/iosxr-genie-golden-prompt-mpls.txt', 'cisco');
    expect(trace.meta?.variant).toBe('cisco-ios-xr');
    expect(trace.destination.address).toBe('10.4.1.1');
    expect(replies(trace)).toEqual([
      [
        1,
        [
          ['10.4.1.2', 16],
          ['10.4.1.2', 4],
          ['10.4.1.2', 4],
        ],
      ],
      [
        2,
        [
          ['10.9.1.3', 9],
          [null, null],
          ['10.9.1.3', 8],
        ],
      ],
    ]);
    expect(hop(trace, 1).replies[0]?.mpls).toEqual([{ label: 11111, tc: 0, s: true, ttl: 0 }]);
    const warnings = warningsOf(trace);
    expect(warnings.some((w) => w.startsWith('line 10:'))).toBe(true);
    expect(warnings.some((w) => w.startsWith('line 11:'))).toBe(true);
  });

  it('genieparser IOS-XR 1: IPv6, with IPv4-mapped hops inside the MPLS core', () => {
    const trace = only('cisco/iosxr-genie-golden-1-ipv6.txt', 'cisco');
    expect(trace.ipVersion).toBe(6);
    expect(trace.destination.address).toBe('2000:90:33:1::2');
    expect(replies(trace).map(([ttl, r]) => [ttl, r[0]?.[0]])).toEqual([
      [1, '2000:90:11:1::1'],
      [2, '10.0.0.12'], // ::ffff:10.0.0.12
      [3, '10.0.0.14'],
      [4, '2000:90:33:1::1'],
      [5, '2000:90:33:1::2'],
    ]);
    expect(hop(trace, 5).replies.map((r) => r.rttMs)).toEqual([4, 3, 3]);
  });
});

describe('NX-OS', () => {
  it('napalm alternate1: one MPLS line per answered probe, "[No MPLS labels]" for none', () => {
    const trace = only('nxos/napalm-nxos-ssh-alternate1-mpls.txt', 'nxos', 'traceroute');
    expect(trace.destination.address).toBe('8.8.8.8');
    expect(trace.meta?.variant).toBe('nxos');
    expect(hop(trace, 3).replies).toEqual([
      { address: '216.182.226.84', rttMs: 17.02 },
      { address: '216.182.226.86', rttMs: 14.867 },
      { address: '216.182.226.82', rttMs: 20.373 },
    ]);
    expect(hop(trace, 9).replies).toEqual([
      { address: '205.251.245.245', rttMs: 2.768 },
      { address: '52.93.24.76', rttMs: 19.697, mpls: [{ label: 661791, tc: 0, s: true, ttl: 1 }] },
      { address: '205.251.245.245', rttMs: 1.959 },
    ]);
    expect(
      hop(trace, 15).replies.map((r) => [r.address, r.rttMs, r.mpls?.[0]?.label, r.mpls?.[0]?.tc]),
    ).toEqual([
      ['216.239.48.6', 13.159, 463393, 4],
      ['216.239.48.9', 10.625, 26361, 4],
      ['216.239.48.9', 10.388, 27407, 4],
    ]);
    expect(replies(trace).at(-1)).toEqual([
      18,
      [
        ['8.8.8.8', 9.692],
        [null, null],
        ['8.8.8.8', 10.121],
      ],
    ]);
    // Recognised by auto as classic traceroute, which names the variant from the label lines.
    expect(parseTraces(pasted('nxos/napalm-nxos-ssh-alternate1-mpls.txt'))[0]?.meta?.variant).toBe('nxos');
  });
});

describe('Junos', () => {
  it('genieparser no-resolve: an indented paste with its command line, a name before an address', () => {
    const trace = only('junos/genie-traceroute-no-resolve.txt', 'junos', 'traceroute');
    expect(trace.destination).toEqual({ address: '10.135.0.2', name: 'example.local' });
    expect(replies(trace)).toEqual([
      [
        1,
        [
          ['10.145.0.2', 1.792],
          ['10.145.0.2', 1.142],
          ['10.145.0.2', 0.831],
        ],
      ],
      [
        2,
        [
          ['10.135.0.2', 1.734],
          ['10.135.0.2', 1.234],
          ['10.135.0.2', 0.855],
        ],
      ],
    ]);
    expect(trace.hops[0]?.replies[0]?.name).toBe('r1');
    expect(warningsOf(trace)[0]).toMatch(/^line 2: skipped "traceroute 10\.135\.0\.2 no-resolve"/);
  });

  it('hand-written sample: "MPLS Label=" lines under a hop form its stack', () => {
    const trace = only('junos/handwritten-mpls-labels.txt', 'junos', 'traceroute');
    expect(trace.meta?.variant).toBe('junos');
    const stack = [
      { label: 299792, tc: 0, s: false, ttl: 1 },
      { label: 16, tc: 0, s: true, ttl: 1 },
    ];
    expect(hop(trace, 2).replies).toEqual([
      { address: '198.51.100.5', rttMs: 2.431, mpls: stack },
      { address: '198.51.100.5', rttMs: 2.107, mpls: stack },
      { address: '198.51.100.5', rttMs: 2.098, mpls: stack },
    ]);
    expect(hop(trace, 3).replies[0]?.mpls).toEqual([{ label: 300144, tc: 0, s: true, ttl: 1 }]);
    expect(hop(trace, 4).replies[0]?.mpls).toBeUndefined();
    // The prompt before and after the output.
    expect(warningsOf(trace).filter((w) => w.includes('prompt'))).toHaveLength(2);
  });
});
