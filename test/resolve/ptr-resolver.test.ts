/**
 * The PTR resolver and trace naming against a real DNS server (Debian's dnsmasq on 127.0.0.1, records written
 * here), and against a socket that never answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraces } from '../../server/parse/index.ts';
import { nameTrace } from '../../server/resolve/name-trace.ts';
import { createPtrResolver } from '../../server/resolve/ptr-resolver.ts';
import { skipUnless } from '../helpers/skips.ts';
import { type Dnsmasq, dnsmasqUsable, silentServer, startDnsmasq } from './dnsmasq.ts';

const DALLAS = 'ae-2.r20.dllstx09.us.bb.gin.ntt.net';
const RECORDS: Array<[string, string]> = [
  ['198.51.100.7', DALLAS],
  ['198.51.100.8', 'bad name <b>x</b>.example.net'],
  ['198.51.100.9', '<script>alert(1)</script>.example.net'],
  ['198.51.100.9', 'Core1.Example.NET'],
  ['2001:db8::1', 'v6-gw.example.net'],
  ['8.8.4.4', 'must-not-be-asked.example.net'],
  ['10.0.0.1', 'private-gw.example.lan'],
];

describe('PTR resolver over dnsmasq', skipUnless('PTR lookups against dnsmasq', ...dnsmasqUsable()), () => {
  let dns: Dnsmasq;
  beforeAll(async () => {
    dns = await startDnsmasq(RECORDS);
  });
  afterAll(async () => {
    await dns?.stop();
  });

  const resolverFor = (extra: Parameters<typeof createPtrResolver>[0] = {}) =>
    createPtrResolver({ servers: [dns.address], lookUpDocumentation: true, ...extra });

  it('resolves IPv4 and IPv6 (ip6.arpa) names, lower-cased', async () => {
    const r = resolverFor();
    expect(await r.lookup('198.51.100.7')).toBe(DALLAS);
    expect(await r.lookup('2001:db8::1')).toBe('v6-gw.example.net');
    expect(await r.lookup('2001:0db8:0:0::1')).toBe('v6-gw.example.net'); // the same address, cached
    expect(dns.queriesFor('2001:db8::1')).toBe(1);
    expect(await r.lookup('198.51.100.99')).toBeNull();
    r.close();
  });

  it('answers again from the cache, names and no-names alike, until the TTL passes', async () => {
    let t = 1_000_000;
    const r = resolverFor({ now: () => t, positiveTtlMs: 60_000, negativeTtlMs: 10_000 });
    const before7 = dns.queriesFor('198.51.100.7');
    const before98 = dns.queriesFor('198.51.100.98');
    const [a, b] = await Promise.all([r.lookup('198.51.100.7'), r.lookup('198.51.100.7')]);
    expect([a, b]).toEqual([DALLAS, DALLAS]);
    expect(await r.lookup('198.51.100.7')).toBe(DALLAS);
    expect(await r.lookup('198.51.100.98')).toBeNull();
    expect(await r.lookup('198.51.100.98')).toBeNull();
    expect(dns.queriesFor('198.51.100.7') - before7).toBe(1);
    expect(dns.queriesFor('198.51.100.98') - before98).toBe(1);
    expect(r.stats()).toMatchObject({ queries: 2, cacheHits: 2, noName: 1 });
    t += 20_000; // past the negative TTL only
    expect(await r.lookup('198.51.100.7')).toBe(DALLAS);
    expect(await r.lookup('198.51.100.98')).toBeNull();
    expect(dns.queriesFor('198.51.100.7') - before7).toBe(1);
    expect(dns.queriesFor('198.51.100.98') - before98).toBe(2);
    t += 60_000;
    expect(r.known('198.51.100.7')).toBeUndefined();
    expect(await r.lookup('198.51.100.7')).toBe(DALLAS);
    expect(dns.queriesFor('198.51.100.7') - before7).toBe(2);
    r.close();
  });

  it('drops hostile names and keeps a plausible one beside them', async () => {
    const r = resolverFor();
    expect(await r.lookup('198.51.100.8')).toBeNull();
    expect(await r.lookup('198.51.100.9')).toBe('core1.example.net');
    expect(r.stats().droppedNames).toBe(2);
    r.close();
  });

  it('never asks about private addresses, nor documentation ones unless told', async () => {
    const off = createPtrResolver({ servers: [dns.address] });
    expect(await off.lookup('10.0.0.1')).toBeNull();
    expect(await off.lookup('198.51.100.7')).toBeNull();
    expect(off.stats()).toMatchObject({ queries: 0, skipped: 2 });
    const on = resolverFor();
    expect(await on.lookup('10.0.0.1')).toBeNull();
    expect(on.stats().queries).toBe(0);
    expect(dns.queriesFor('10.0.0.1')).toBe(0);
    off.close();
    on.close();
  });

  it('names a -n trace: names attached to the replies that had none', async () => {
    const [trace] = parseTraces(
      [
        'traceroute to 198.51.100.20 (198.51.100.20), 30 hops max, 60 byte packets',
        ' 1  10.0.0.1  0.4 ms  0.3 ms  0.3 ms',
        ' 2  198.51.100.7  9.1 ms  9.2 ms  198.51.100.9  9.4 ms',
        ' 3  198.51.100.8  10.1 ms  10.2 ms  10.3 ms',
        ' 4  198.51.100.20  11.0 ms  11.1 ms  11.2 ms',
      ].join('\n'),
      'traceroute',
    );
    if (trace === undefined) throw new Error('no trace parsed');
    const named = await nameTrace(trace, resolverFor(), 2000);
    const names = named.hops.map((h) => h.replies.map((r) => r.name ?? null));
    expect(names).toEqual([
      [null, null, null],
      [DALLAS, DALLAS, 'core1.example.net'],
      [null, null, null],
      [null, null, null],
    ]);
    expect(trace.hops[1]?.replies[0]?.name).toBeUndefined(); // the input is not changed
  });
});

describe('PTR resolver against a server that never answers', () => {
  it('bounds each query by its timeout, and the concurrency', async () => {
    const silent = await silentServer();
    try {
      const r = createPtrResolver({ servers: [silent.address], timeoutMs: 500, tries: 1, maxInFlight: 2 });
      const started = Date.now();
      const all = Promise.all(['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((a) => r.lookup(a)));
      // documentation addresses are not asked about here: all three are skipped at once
      expect(await all).toEqual([null, null, null]);
      expect(silent.received()).toBe(0);
      const lookups = ['8.8.8.1', '8.8.8.2', '8.8.8.3'].map((a) => r.lookup(a));
      await new Promise((resolve) => setImmediate(resolve));
      expect(r.stats().queries).toBe(2); // the third waits for a slot
      expect(await Promise.all(lookups)).toEqual([null, null, null]);
      expect(r.stats()).toMatchObject({ queries: 3, failures: 3 });
      // Two rounds of one 0.5 s try each, far from unbounded; generous for a loaded machine.
      expect(Date.now() - started).toBeLessThan(1000 + 5000);
      r.close();
    } finally {
      await silent.close();
    }
  });

  it('nameTrace gives up after its wait; the query goes on into the cache', async () => {
    const silent = await silentServer();
    try {
      const r = createPtrResolver({ servers: [silent.address], timeoutMs: 10_000, tries: 1 });
      const trace = {
        tool: 'traceroute' as const,
        method: 'icmp' as const,
        source: { address: '192.0.2.1' },
        destination: { address: '8.8.8.8' },
        hops: [{ ttl: 1, replies: [{ address: '8.8.8.8', rttMs: 5 }] }],
      };
      const started = Date.now();
      const named = await nameTrace(trace as never, r, 100);
      expect(Date.now() - started).toBeLessThan(5000); // well under the query's 10 s timeout
      expect(named.hops[0]?.replies[0]?.name).toBeUndefined();
      expect(r.known('8.8.8.8')).toBeUndefined(); // still asking
      r.close();
    } finally {
      await silent.close();
    }
  });
});
