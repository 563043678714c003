/**
 * An implausible agent trace goes the agent's way into the real SQLite store and comes back as it was judged:
 * kept with its hops and problems, verdict `implausible`, no foreign hop, nothing a "detours" query reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ResultMessage } from '../../protocol/messages.ts';
import { buildResultRecord } from '../../server/ingest/build-record.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import type { Store } from '../../server/store/store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import { createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { AGENT_LOCATION, DETOUR_OUTPUT } from '../integration/coordinator-harness.ts';

const analyzer = createWorldAnalyzer();
let dir: string;
let store: Store;
let agentId: string;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-implausible-'));
  store = openSqliteStore({ dataDir: dir, create: true });
  const token = await store.createToken('probe', hashToken('x'), new Date().toISOString());
  const agent = await store.recordHello({
    tokenId: token.id,
    name: 'probe',
    location: AGENT_LOCATION,
    engines: ['traceroute'],
    limits: { maxConcurrent: 1, maxPerMinute: 1 },
    agentVersion: '0.1.0',
    protocolVersion: 1,
    address: null,
    at: new Date().toISOString(),
  });
  agentId = agent.id;
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function message(output: string): ResultMessage {
  return {
    type: 'result',
    resultId: `implausible-${Math.random().toString(36).slice(2, 10)}`,
    taskId: null,
    target: '192.0.2.50',
    engine: 'traceroute',
    output,
    startedAt: '2026-04-01T10:00:00.000Z',
    durationMs: 900,
  };
}

it('a detour with a hop beyond "30 hops max" is stored implausible, its hops kept, no detour', async () => {
  // The harness's confirmed detour through Shanghai, with a hop no traceroute -m 30 can print.
  const output = `${DETOUR_OUTPUT.trimEnd()}\n31  192.0.2.77  400.000 ms\n`;
  const agent = { id: agentId, position: { ...AGENT_LOCATION, source: 'declared' as const } };
  const control = buildResultRecord(agent, message(DETOUR_OUTPUT), new Date().toISOString(), {
    parseTraces,
    analyze: analyzer.annotateAndJudge,
  });
  expect(control.traces[0]?.verdict.verdict).toBe('detour');

  const record = buildResultRecord(agent, message(output), new Date().toISOString(), {
    parseTraces,
    analyze: analyzer.annotateAndJudge,
  });
  expect(record.traces[0]?.verdict.verdict).toBe('implausible');
  expect(await store.writeResults([record])).toEqual(['stored']);

  const [summary] = await store.listTraces({ limit: 10 });
  expect(summary?.verdict).toBe('implausible');
  expect(summary?.foreignCountries).toEqual([]);
  const stored = await store.getTrace(summary?.id ?? -1);
  // TTL 31 is beyond the maximum, and it answered after the destination did (TTL 4).
  expect(stored?.verdictDetail.problems?.map((p) => [p.code, p.ttl])).toEqual([
    ['ttl-out-of-range', 31],
    ['hop-after-destination', 31],
  ]);
  // The raw path stays, for whoever looks at why it was refused.
  expect(stored?.hops.map((h) => h.ttl)).toEqual(record.traces[0]?.trace.hops.map((h) => h.ttl));
  const detours = await store.detourPage(
    { since: null, until: null, country: null, asn: null, agent: null, target: null, confidence: null },
    { limit: 10, after: null, now: Date.now(), fingerprint: 'f' },
  );
  expect(detours.items).toEqual([]);
});
