/**
 * Compatibility with RIPE's own parser: every `{path, equals}` assertion ripe-atlas-sagan's tests make about
 * 22 real Atlas traceroute results, translated into a check on the canonical Trace (through atlas-summary for
 * sagan's derived values). Assertions about data the Trace does not keep (packet size, MTU, IPv6 option
 * sizes, the quoted TTL, ICMP extension header version) are counted as not applicable; any other path is a
 * failure, so nothing is silently skipped.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hop, Reply, Trace } from '../../protocol/trace.ts';
import {
  destinationIpResponded,
  ipPath,
  isSuccess,
  lastHopErrors,
  lastHopResponded,
  lastMedianRtt,
  packetErrorMessage,
  roundRtt,
} from '../../server/parse/atlas-summary.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { sharedFixturesDir, warnSkipped } from '../helpers/fixtures.ts';

interface SaganCase {
  test: string;
  result: unknown;
  expect: { path: string; equals: unknown }[];
}

const fixtures = sharedFixturesDir();
if (!fixtures) warnSkipped('compat-sagan (RIPE Atlas / ripe-atlas-sagan assertions)', 'ripe-atlas');
const atlasDir = fixtures ? path.join(fixtures, 'ripe-atlas') : '';
const cases: SaganCase[] = fixtures
  ? JSON.parse(readFileSync(path.join(atlasDir, 'sagan_traceroute_cases.json'), 'utf8'))
  : [];

/** sagan fields with no counterpart in the Trace: packet size, PMTU, IPv6 option sizes, quoted TTL. */
const NOT_KEPT =
  /^(size|mtu|destination_option_size|hop_by_hop_option_size|internal_ttl|icmp_header\.(rfc4884|version))$/;
const NOT_APPLICABLE = Symbol('not applicable');

function at<T>(list: T[], index: number): T {
  const item = list.at(index);
  if (item === undefined) throw new Error(`index ${index} out of range (${list.length})`);
  return item;
}

/** ISO time as Python's datetime.isoformat() writes a UTC instant. */
function pythonIso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', '+00:00');
}

function packetValue(reply: Reply, field: string): unknown {
  switch (field) {
    case 'origin':
      return reply.address;
    case 'rtt':
      return reply.rttMs === null ? null : roundRtt(reply.rttMs);
    case 'ttl':
      return reply.replyTtl ?? null;
    case 'is_error':
      return reply.flag !== undefined;
    case 'error_message':
      return packetErrorMessage(reply);
    case 'icmp_header':
      // Only `null` is asserted: no ICMP extension, hence no MPLS labels.
      return reply.mpls === undefined ? null : 'has MPLS labels';
    case 'icmp_header.objects':
      return [
        {
          class: 1,
          type: 1,
          mpls: (reply.mpls ?? []).map((m) => ({ exp: m.tc, label: m.label, s: m.s ? 1 : 0, ttl: m.ttl })),
        },
      ];
  }
  if (NOT_KEPT.test(field)) return NOT_APPLICABLE;
  throw new Error(`no translation for packet field ${field}`);
}

function hopValue(hop: Hop, field: string): unknown {
  if (field === 'index') return hop.ttl;
  if (field === 'is_error') return hop.error !== undefined;
  if (field === 'error_message') return hop.error ?? null;
  throw new Error(`no translation for hop field ${field}`);
}

/** The value sagan's `path` denotes, computed from the Trace. */
function evaluate(trace: Trace, saganPath: string): unknown {
  const meta = trace.meta ?? {};
  let m = /^hops\[(-?\d+)\]\.packets\[(-?\d+)\]\.(.+)$/.exec(saganPath);
  if (m) return packetValue(at(at(trace.hops, Number(m[1])).replies, Number(m[2])), m[3] as string);
  m = /^len\(hops\[(-?\d+)\]\.packets\)$/.exec(saganPath);
  if (m) return at(trace.hops, Number(m[1])).replies.length;
  m = /^hops\[(-?\d+)\]\.(\w+)$/.exec(saganPath);
  if (m) return hopValue(at(trace.hops, Number(m[1])), m[2] as string);
  m = /^ip_path\[(-?\d+)\]\[(-?\d+)\]$/.exec(saganPath);
  if (m) return at(at(ipPath(trace), Number(m[1])), Number(m[2]));
  switch (saganPath) {
    case 'af':
      return trace.ipVersion;
    case 'destination_address':
      return trace.destination.address;
    case 'destination_name':
      return trace.destination.name ?? null;
    case 'origin':
      return meta.from ?? null;
    case 'end_time.isoformat()':
      return pythonIso(meta.endtime as number);
    case 'end_time_timestamp':
      return meta.endtime;
    case 'firmware':
      return meta.fw;
    case 'measurement_id':
      return meta.msm_id;
    case 'probe_id':
      return meta.prb_id;
    case 'paris_id':
      expect(trace.flowId).toBe(meta.paris_id);
      return meta.paris_id;
    case 'protocol':
      return meta.proto;
    case 'seconds_since_sync':
      return meta.lts;
    case 'total_hops':
      return trace.hops.length;
    case 'last_median_rtt':
    case 'last_rtt':
      return lastMedianRtt(trace);
    case 'destination_ip_responded':
      return destinationIpResponded(trace);
    case 'last_hop_responded':
      return lastHopResponded(trace);
    case 'is_success':
      return isSuccess(trace);
    case 'last_hop_errors':
      return lastHopErrors(trace);
  }
  throw new Error(`no translation for sagan path ${saganPath}`);
}

const counts = { assertions: 0, checked: 0, notApplicable: 0 };

describe.skipIf(!fixtures)('compat: ripe-atlas-sagan assertions on real Atlas traceroutes', () => {
  afterAll(() => {
    console.log(
      `sagan compat: ${counts.assertions} assertions, ${counts.checked} checked against the Trace, ${counts.notApplicable} not applicable (fields the Trace does not keep)`,
    );
  });

  it('has the 22 results and 294 assertions the README describes', () => {
    expect(cases).toHaveLength(22);
    expect(cases.reduce((n, c) => n + c.expect.length, 0)).toBe(294);
  });

  it.each(cases.map((c, i) => [`${i + 1} ${c.test}`, c] as const))('%s', (_name, saganCase) => {
    const traces = parseTraces(JSON.stringify(saganCase.result), 'atlas');
    expect(traces).toHaveLength(1);
    const trace = traces[0] as Trace;
    for (const { path: saganPath, equals } of saganCase.expect) {
      counts.assertions++;
      const value = evaluate(trace, saganPath);
      if (value === NOT_APPLICABLE) {
        counts.notApplicable++;
        continue;
      }
      expect(value, saganPath).toEqual(equals);
      counts.checked++;
    }
  });

  it('reads the NDJSON file of the same 22 results to the same traces, in order', () => {
    const text = readFileSync(path.join(atlasDir, 'sagan_traceroute_results.ndjson'), 'utf8');
    const fromFile = parseTraces(text);
    expect(fromFile).toEqual(
      cases.map((c) => (parseTraces(JSON.stringify(c.result), 'atlas') as [Trace])[0]),
    );
  });

  it('reads the ripe-atlas-tools results (a JSON array) with one hop per result entry', () => {
    const text = readFileSync(path.join(atlasDir, 'ripe-atlas-tools_aspath_results.json'), 'utf8');
    const raw = JSON.parse(text) as { result: unknown[]; prb_id: number }[];
    const traces = parseTraces(text);
    expect(traces.map((t) => t.hops.length)).toEqual(raw.map((r) => r.result.length));
    expect(traces.map((t) => t.meta?.prb_id)).toEqual(raw.map((r) => r.prb_id));
  });
});
