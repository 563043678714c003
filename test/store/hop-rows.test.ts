import { describe, expect, it } from 'vitest';
import { parseTraces } from '../../server/parse/index.ts';
import { foreignCountries, foreignHopRows, hopRows } from '../../server/store/hop-rows.ts';
import { createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { AGENT_LOCATION, tracerouteOutput } from '../integration/coordinator-harness.ts';

const analyzer = createWorldAnalyzer();

describe('hop rows', () => {
  it('one row per distinct responder per TTL with its lowest RTT; a silent TTL keeps one empty row', () => {
    // TTL 2 answers from Shanghai (198.51.100.0/25, AS4134 in the test world; 130 ms is more than light needs
    // from AGENT_LOCATION) and from Washington (203.0.113.0/25).
    const [trace] = parseTraces(
      tracerouteOutput('192.0.2.9', [
        '10.0.0.1  1.5 ms  1.2 ms  1.9 ms',
        '198.51.100.1  130.0 ms 203.0.113.1  80.0 ms 198.51.100.1  129.5 ms',
        '* * *',
        '192.0.2.9  230.0 ms  229.0 ms  231.0 ms',
      ]),
      'traceroute',
    );
    if (!trace) throw new Error('no trace parsed');
    const verdict = analyzer.analyze(trace, { ...AGENT_LOCATION, source: 'declared' });
    const rows = hopRows(trace, verdict);
    expect(rows.map((r) => [r.ttl, r.seq, r.ip, r.rttMs, r.replies])).toEqual([
      [1, 0, '10.0.0.1', 1.2, 3],
      [2, 0, '198.51.100.1', 129.5, 2],
      [2, 1, '203.0.113.1', 80, 1],
      [3, 0, null, null, 0],
      [4, 0, '192.0.2.9', 229, 3],
    ]);
    // The verdict's reading and foreign evidence land on their own address only.
    expect(rows[1]).toMatchObject({ country: 'CN', asn: 4134, status: 'foreign-probable' });
    expect(rows[2]).toMatchObject({ country: null, asn: null, status: null });
    expect(rows[3]?.status).toBe('no-reply');
    expect(foreignCountries(verdict)).toEqual(['CN']);
  });

  it('foreign hops are indexed for detours only: a trace that ends abroad keeps its countries in its hops', () => {
    const [trace] = parseTraces(
      tracerouteOutput('198.51.100.9', [
        '10.0.0.1  1.5 ms',
        '198.51.100.1  130.0 ms',
        '198.51.100.9  131.0 ms',
      ]),
      'traceroute',
    );
    if (!trace) throw new Error('no trace parsed');
    const verdict = analyzer.analyze(trace, { ...AGENT_LOCATION, source: 'declared' });
    expect(verdict.verdict).toBe('foreign-endpoint');
    expect(verdict.foreignHops.length).toBeGreaterThan(0);
    expect(foreignHopRows(verdict)).toEqual([]);
    expect(hopRows(trace, verdict).find((r) => r.ip === '198.51.100.1')?.country).toBe('CN');
  });
});
