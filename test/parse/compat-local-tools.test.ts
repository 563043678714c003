/**
 * The exact output formats of the Debian 12 tools the agent runs (scamper 20211212, mtr-tiny 0.95,
 * traceroute 2.1.2), captured against loopback: each JSON/text form parses to one trace to that address,
 * auto-detected and with the format named, mtr's report, raw, CSV and XML modes included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces, type TraceFormat } from '../../server/parse/index.ts';
import { sharedFixturesDir, warnSkipped } from '../helpers/fixtures.ts';

const fixtures = sharedFixturesDir();
if (!fixtures) warnSkipped('compat-local-tools (Debian scamper/mtr/traceroute output)', 'local-tool-output');
const dir = fixtures ? path.join(fixtures, 'local-tool-output') : '';
const files = fixtures ? readdirSync(dir).filter((f) => !f.endsWith('.md')) : [];

/** The format a file name says it holds, or null for formats detourwatch does not read. */
function formatOf(file: string): Exclude<TraceFormat, 'auto'> | null {
  if (file.startsWith('scamper-json')) return 'scamper';
  if (file.startsWith('mtr-json')) return 'mtr';
  if (file.startsWith('mtr-report')) return 'mtr-report';
  if (file.startsWith('mtr-raw')) return 'mtr-raw';
  if (file.startsWith('mtr-csv')) return 'mtr-csv';
  if (file.startsWith('mtr-xml')) return 'mtr-xml';
  if (file.startsWith('traceroute') || file.startsWith('scamper-text')) return 'traceroute';
  return null;
}

/** The traced address, from the file name (`...-127.0.0.1.json`, `...-loopback6.json`). */
function targetOf(file: string): string {
  return /127\.0\.0\.1/.test(file) ? '127.0.0.1' : '::1';
}

let parsed = 0;

describe.skipIf(!fixtures)('compat: Debian tool output captured on loopback', () => {
  afterAll(() => {
    console.log(`local tools compat: ${parsed} outputs parsed`);
  });

  it('holds scamper, mtr and traceroute outputs, all of them in formats detourwatch reads', () => {
    expect(files.filter((f) => formatOf(f) !== null).length).toBeGreaterThanOrEqual(14);
    expect(files.filter((f) => formatOf(f) === null)).toEqual([]);
  });

  it.each(files.filter((f) => formatOf(f) !== null))('%s', (file) => {
    const text = readFileSync(path.join(dir, file), 'utf8');
    const format = formatOf(file) as Exclude<TraceFormat, 'auto'>;
    const traces = parseTraces(text, format);
    expect(parseTraces(text)).toEqual(traces);
    expect(traces).toHaveLength(1);
    const trace = traces[0] as Trace;
    const target = targetOf(file);
    expect(trace.destination.address).toBe(target);
    expect(trace.ipVersion).toBe(target.includes(':') ? 6 : 4);
    if (file.includes('tracelb')) {
      expect(trace.meta?.mda).toBe(true);
    } else {
      // Loopback answers at the first TTL, from the target itself.
      expect(trace.hops.map((h) => h.ttl)).toEqual([1]);
      const replies = trace.hops[0]?.replies ?? [];
      expect(replies.length).toBeGreaterThan(0);
      for (const reply of replies) {
        expect(reply.address).toBe(target);
        expect(reply.rttMs).toBeGreaterThanOrEqual(0);
      }
    }
    parsed++;
  });
});
