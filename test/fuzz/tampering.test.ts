/**
 * Property: real output tampered the ways the issue found (another address answering a probe, more answers
 * than probes, an RTT beyond the wait, a TTL beyond the maximum, a hop after the destination) never reads as a
 * plausible trace, whichever real capture, hop and amount fast-check picks. It reads as implausible (or, where
 * the tampering breaks the format itself, is refused with a code).
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, expect } from 'vitest';
import { parseTraces } from '../../server/parse/index.ts';
import { checkPlausibility } from '../../server/plausibility/plausibility.ts';
import { type Seed, seeds } from './inputs.ts';
import { outcomes, Tally } from './outcome.ts';

type Json = Record<string, unknown>;
type Tamper = (seed: Seed, pick: number, amount: number) => string | null;

const lines = (text: string) => text.trim().split('\n');

/** The first record of a one-value-per-line seed (scamper, Atlas) that `edit` changed, alone on its line. */
function perLine(seed: Seed, edit: (record: Json) => boolean): string | null {
  for (const line of lines(seed.text)) {
    const record = JSON.parse(line) as Json;
    if (edit(record)) return `${JSON.stringify(record)}\n`;
  }
  return null;
}

const at = <T>(list: T[], pick: number): T | undefined => list[pick % Math.max(list.length, 1)];

const TAMPERS: Record<Seed['format'], Record<string, Tamper>> = {
  scamper: {
    'another address answers the same probe': (seed, pick, amount) =>
      perLine(seed, (r) => {
        const hops = r.type === 'trace' && Array.isArray(r.hops) ? (r.hops as Json[]) : [];
        const hop = at(
          hops.filter((h) => h.addr !== '*'),
          pick,
        );
        if (hop === undefined) return false;
        hops.push({ ...hop, addr: `198.51.100.${(amount % 250) + 1}` });
        return true;
      }),
    'an RTT beyond the wait': (seed, pick, amount) =>
      perLine(seed, (r) => {
        const hop = r.type === 'trace' && Array.isArray(r.hops) ? at(r.hops as Json[], pick) : undefined;
        if (hop === undefined || typeof r.wait !== 'number') return false;
        // Later than scamper listened, and than any traceroute waits.
        hop.rtt = 60_000 + (amount % 1_000_000) + 0.5;
        return true;
      }),
    'a probe TTL beyond the hop limit': (seed, pick, amount) =>
      perLine(seed, (r) => {
        const hop = r.type === 'trace' && Array.isArray(r.hops) ? at(r.hops as Json[], pick) : undefined;
        if (hop === undefined || typeof r.hoplimit !== 'number' || r.hoplimit === 0 || r.hoplimit >= 255)
          return false;
        hop.probe_ttl = r.hoplimit + 1 + (amount % (255 - r.hoplimit));
        return true;
      }),
  },
  atlas: {
    'more packets at a hop than Atlas sends': (seed, pick, amount) =>
      perLine(seed, (r) => {
        const hop = Array.isArray(r.result) ? at(r.result as Json[], pick) : undefined;
        const packets = hop && Array.isArray(hop.result) ? (hop.result as Json[]) : [];
        if (packets.length === 0) return false;
        while (packets.length <= 16 + (amount % 8)) packets.push({ ...(packets[0] as Json) });
        return true;
      }),
    'a reply later than Atlas ever waits': (seed, pick, amount) =>
      perLine(seed, (r) => {
        const hop = Array.isArray(r.result) ? at(r.result as Json[], pick) : undefined;
        const packet =
          hop && Array.isArray(hop.result) ? (hop.result as Json[]).find((p) => 'rtt' in p) : undefined;
        if (packet === undefined) return false;
        packet.rtt = 60_001 + (amount % 3_000_000);
        return true;
      }),
  },
  mtr: {
    'a hub that sent more probes than -c': (seed, pick, amount) => {
      const doc = JSON.parse(seed.text) as { report: { mtr: Json; hubs: Json[] } };
      const hub = at(doc.report.hubs, pick);
      if (hub === undefined || typeof doc.report.mtr.tests !== 'number') return null;
      hub.Snt = doc.report.mtr.tests + 1 + (amount % 100);
      return JSON.stringify(doc);
    },
  },
  traceroute: {
    'a hop beyond "N hops max"': (seed, _pick, amount) => {
      const max = /(\d+) hops max/.exec(seed.text);
      if (max === null || Number(max[1]) >= 255) return null;
      const ttl = Number(max[1]) + 1 + (amount % (255 - Number(max[1])));
      return `${seed.text.trimEnd()}\n ${ttl}  192.0.2.77  1.000 ms\n`;
    },
    'a router answering after the destination': (seed, _pick, amount) => {
      const head = /^traceroute6? to \S+ \(([^)]+)\)/.exec(seed.text);
      const hops = lines(seed.text).filter((l) => /^\s*\d+\s/.test(l));
      const last = hops[hops.length - 1];
      if (head === null || last === undefined || !last.includes(head[1] as string)) return null;
      const ttl = Number(/^\s*(\d+)/.exec(last)?.[1]) + 1;
      const v6 = (head[1] as string).includes(':');
      return `${seed.text.trimEnd()}\n ${ttl}  ${v6 ? '2001:db8::77' : '192.0.2.77'}  ${(amount % 500) + 1}.000 ms\n`;
    },
  },
};

const cases = seeds().flatMap((seed) =>
  Object.entries(TAMPERS[seed.format]).map(([name, tamper]) => ({ seed, name, tamper })),
);
const tally = new Tally();
let applied = 0;

afterAll(() => {
  console.log(`tampering fuzz: ${applied} tampered traces, outcomes ${JSON.stringify(tally.counts)}`);
  expect(applied).toBeGreaterThan(0);
  expect(tally.counts.plausible).toBe(0);
  expect(tally.counts.implausible).toBeGreaterThan(0);
});

test.prop([fc.constantFrom(...cases), fc.nat(), fc.nat()], { numRuns: 300 })(
  'tampered real output is never plausible',
  ({ seed, tamper }, pick, amount) => {
    // The capture itself is real and plausible: the tampering is what changes the outcome.
    for (const trace of parseTraces(seed.text, seed.format)) expect(checkPlausibility(trace).ok).toBe(true);
    const text = tamper(seed, pick, amount);
    if (text === null) return; // this capture has nothing this tampering can change
    applied++;
    const found = outcomes(() => parseTraces(text, seed.format));
    tally.add(found);
    expect(found).not.toContain('plausible');
  },
);
