/**
 * Compatibility with the jc project's parses of 23 real traceroute, traceroute6 and tracepath outputs
 * (Linux, FreeBSD, macOS): hop numbers, addresses, RTTs, names, ASNs and flags must agree with jc's `.json`.
 * jc lists only answered probes for traceroute (its `*` are dropped) and every line for tracepath.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { sharedFixturesDir, warnSkipped } from '../helpers/fixtures.ts';

interface JcProbe {
  ip: string | null;
  name: string | null;
  rtt: number | null;
  asn: number | null;
  annotation: string | null;
}
interface JcTraceroute {
  destination_ip: string | null;
  destination_name: string | null;
  hops: { hop: number; probes: JcProbe[] }[];
}
interface JcTracepath {
  hops: { ttl: number; guess: boolean; host: string | null; reply_ms: number | null }[];
}

const fixtures = sharedFixturesDir();
if (!fixtures) warnSkipped('compat-jc (traceroute/tracepath text parsed by jc)', 'linux-traceroute-text');
const jcDir = fixtures ? path.join(fixtures, 'linux-traceroute-text/jc') : '';
const outFiles = fixtures
  ? readdirSync(jcDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) =>
        readdirSync(path.join(jcDir, d.name))
          .filter((f) => f.endsWith('.out'))
          .map((f) => `${d.name}/${f}`),
      )
      .sort()
  : [];

let compared = { files: 0, hops: 0, replies: 0 };

function compareTraceroute(trace: Trace, jc: JcTraceroute): void {
  expect(trace.destination.address).toBe(jc.destination_ip);
  if (jc.destination_name !== null && jc.destination_name !== jc.destination_ip) {
    expect(trace.destination.name).toBe(jc.destination_name);
  }
  expect(trace.hops.map((h) => h.ttl)).toEqual(jc.hops.map((h) => h.hop));
  for (const [i, jcHop] of jc.hops.entries()) {
    const hop = trace.hops[i];
    // jc drops the `*` probes; detourwatch keeps them as timeouts.
    const answered = (hop?.replies ?? []).filter((r) => r.rttMs !== null);
    expect(
      answered.map((r) => ({
        ip: r.address,
        rtt: r.rttMs,
        asn: r.asn ?? null,
        annotation: r.rawFlag ?? null,
        name: r.name ?? null,
      })),
      `hop ${jcHop.hop}`,
    ).toEqual(
      jcHop.probes.map((p) => ({
        ip: p.ip,
        rtt: p.rtt,
        asn: p.asn,
        annotation: p.annotation,
        // jc repeats the address as the name when the tool printed `addr (addr)`; jc has no name for labels
        // like "Internal (Internal)" that detourwatch keeps as a name.
        name: p.ip === null && p.name === null ? expect.any(String) : p.name === p.ip ? null : p.name,
      })),
    );
    compared.hops++;
    compared.replies += answered.length;
  }
}

function compareTracepath(trace: Trace, jc: JcTracepath): void {
  // jc lists each line; detourwatch merges lines of one TTL (late answers repeat a hop number) into a hop.
  const lines = jc.hops.filter((h) => !h.guess || h.host !== '[LOCALHOST]');
  const byTtl = new Map<number, { host: string | null; rtt: number | null }[]>();
  for (const line of lines) {
    const list = byTtl.get(line.ttl) ?? [];
    list.push({ host: line.host, rtt: line.reply_ms });
    byTtl.set(line.ttl, list);
  }
  expect(trace.hops.map((h) => h.ttl)).toEqual([...byTtl.keys()].sort((a, b) => a - b));
  for (const hop of trace.hops) {
    expect(
      hop.replies.map((r) => ({ host: r.address ?? r.name ?? null, rtt: r.rttMs })),
      `ttl ${hop.ttl}`,
    ).toEqual(byTtl.get(hop.ttl));
    compared.hops++;
    compared.replies += hop.replies.length;
  }
}

describe.skipIf(!fixtures)('compat: jc parses of real traceroute and tracepath text', () => {
  afterAll(() => {
    console.log(
      `jc compat: ${compared.files} of ${outFiles.length} .out files agree with jc (${compared.hops} hops, ${compared.replies} replies compared)`,
    );
    compared = { files: 0, hops: 0, replies: 0 };
  });

  it('finds the 23 outputs the README describes', () => {
    expect(outFiles).toHaveLength(23);
  });

  it.each(outFiles)('%s', (file) => {
    const text = readFileSync(path.join(jcDir, file), 'utf8');
    const jc = JSON.parse(readFileSync(path.join(jcDir, file.replace(/\.out$/, '.json')), 'utf8'));
    const traces = parseTraces(text);
    expect(traces).toHaveLength(1);
    expect(parseTraces(text, 'traceroute')).toEqual(traces);
    const trace = traces[0] as Trace;
    if (path.basename(file).startsWith('tracepath')) compareTracepath(trace, jc as JcTracepath);
    else compareTraceroute(trace, jc as JcTraceroute);
    compared.files++;
  });
});
