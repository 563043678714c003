/**
 * The analysis worker pool (issue 17): the same corpus of real tool outputs through the coordinator with and
 * without worker threads stores byte-identical records and traces, with an operator correction in force and
 * the vantage checks run after each result (router constraints follow them, whichever path is faster); a worker that dies answers its results retry (never stored, never lost)
 * and is replaced; a full pool is backpressure; a worker that cannot open its databases fails with the same
 * coded error as the main thread would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { loadReplayCorpus, variedTexts } from '../../bench/fixtures.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { ResultMessage } from '../../protocol/messages.ts';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { serveSettings } from '../../server/coordinator.ts';
import { startAnalysisPool } from '../../server/ingest/analysis-pool.ts';
import type { BuiltRecord, IngestAgent } from '../../server/ingest/dependencies.ts';
import type { Ingest, IngestReply } from '../../server/ingest/ingest.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import { hashToken } from '../../server/store/tokens.ts';
import { sharedFixtures, skipUnless } from '../helpers/skips.ts';
import { startTestCoordinator } from '../integration/coordinator-harness.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-analysis-pool-'));
  dirs.push(dir);
  return dir;
}

/** Two US agents: their readings of the same routers become each other's constraints. */
const POSITIONS = [
  { lat: 40.71, lon: -74.01 },
  { lat: 37.77, lon: -122.42 },
];

interface Corpus {
  messages: Omit<ResultMessage, 'resultId'>[];
  /** A public hop address of the corpus, given an operator's correction. */
  corrected: string;
}

function corpus(): Corpus {
  const replay = loadReplayCorpus().outputs;
  const texts = variedTexts(
    replay.map((o) => o.output),
    2,
  );
  const messages = texts.map((output, i) => {
    const o = replay[i % replay.length];
    return {
      type: 'result' as const,
      taskId: null,
      target: o?.target ?? '127.0.0.1',
      engine: o?.engine ?? 'scamper',
      ...(o?.method ? { method: o.method } : {}),
      output,
      startedAt: '2026-12-08T00:00:00.000Z',
      durationMs: 4200,
    };
  });
  // Output that does not parse: stored raw with the parser's coded reason, in both paths.
  messages.push({
    ...(messages[0] as (typeof messages)[0]),
    engine: 'traceroute',
    output: 'not a traceroute\n',
  });
  const analyzer = createAnalyzer({});
  const first = parseTraces(messages[0]?.output ?? '', messages[0]?.engine ?? 'scamper')[0];
  const corrected = first?.hops
    .flatMap((h) => h.replies.map((r) => r.address))
    .find((a) => a !== null && analyzer.locate(a).class === 'global');
  if (!corrected) throw new Error('the corpus has no public hop address');
  return { messages, corrected };
}

/** Agent ids are random per store: the same placeholder in both runs' JSON. */
function normalized(value: unknown, agentIds: readonly string[]): string {
  let text = JSON.stringify(value);
  agentIds.forEach((id, i) => {
    text = text.replaceAll(id, `agent-${i}`);
  });
  return text;
}

/** The corpus through the coordinator (sequentially, so both paths see the same learned state). */
async function ingestCorpus(input: Corpus, workers: number): Promise<{ stored: string; withErrors: number }> {
  // Agents and the correction are in the store before the coordinator starts (it loads corrections then).
  const dataDir = tempDir();
  const seed = openSqliteStore({ dataDir, create: true });
  const agents: IngestAgent[] = [];
  for (const [i, position] of POSITIONS.entries()) {
    const token = await seed.createToken(`agent-${i}`, hashToken(`token-${i}`), new Date().toISOString());
    const agent = await seed.recordHello({
      tokenId: token.id,
      name: `agent-${i}`,
      location: position,
      engines: ['scamper', 'traceroute'],
      limits: { maxConcurrent: 1, maxPerMinute: 60 },
      agentVersion: '0.1.0',
      protocolVersion: 1,
      address: null,
      at: new Date().toISOString(),
    });
    agents.push({ id: agent.id, position: { ...position, source: 'declared' } });
  }
  await seed.setLocationCorrections([
    {
      ip: input.corrected,
      lat: 48.86,
      lon: 2.35,
      country: 'FR',
      region: null,
      city: 'Paris',
      note: 'test',
      by: 'test',
      at: Date.parse('2026-12-08T00:00:00.000Z'),
    },
  ]);
  await seed.close();
  const { history } = loadServeOptions(['--data', dataDir], {});
  let ingest: Ingest | null = null;
  const test = await startTestCoordinator(
    {
      analyzer: createAnalyzer({}),
      // Vantage checks (which make agents' readings constraints) run after each result, not on a timer, so
      // both paths see the same learned state whatever their speed.
      history: {
        ...serveSettings(loadServeOptions(['--data', dataDir], {}).config, history).history,
        vantageCheckMs: 3_600_000,
      },
      analysisWorkers: { count: workers, analyzer: {} },
      wrapIngest: (created) => {
        ingest = created;
        return created;
      },
    },
    { dataDir },
  );
  try {
    for (const [i, message] of input.messages.entries()) {
      const agent = agents[i % agents.length] as IngestAgent;
      const reply = await new Promise<IngestReply>((resolve) =>
        (ingest as Ingest | null)?.submit(agent, { ...message, resultId: `pool-result-${i}` }, resolve),
      );
      expect(reply).toEqual({ status: 'stored' });
      await test.coordinator.history.vantage.runOnce();
    }
    const summaries = await test.store.listTraces({ limit: 10_000 });
    const stored = await Promise.all(summaries.map((s) => test.store.getTrace(s.id)));
    const counts = await test.store.counts();
    return {
      stored: normalized(
        stored,
        agents.map((a) => a.id),
      ),
      withErrors: counts.resultsWithErrors,
    };
  } finally {
    await test.close();
  }
}

describe('records built in worker threads', () => {
  it('are byte for byte those built in-thread, on real tool outputs with an operator correction in force', {
    ...skipUnless('the worker pool on real tool outputs', sharedFixtures()),
    timeout: 180_000,
  }, async () => {
    const input = corpus();
    const inThread = await ingestCorpus(input, 0);
    const inWorkers = await ingestCorpus(input, 2);
    expect(inWorkers.stored).toBe(inThread.stored);
    // Not trivially equal: every parsed trace was stored and judged, the correction was weighed, the output
    // that does not parse was stored raw with its reason in both.
    const traces = JSON.parse(inThread.stored) as { verdictDetail: { verdict: string } }[];
    expect(traces.length).toBeGreaterThanOrEqual(input.messages.length - 1);
    expect(traces.every((t) => typeof t.verdictDetail.verdict === 'string')).toBe(true);
    expect(inThread.stored).toContain('Paris');
    expect([inThread.withErrors, inWorkers.withErrors]).toEqual([1, 1]);
  });
});

const AGENT: IngestAgent = { id: 'ag_pool', position: { lat: 40.71, lon: -74.01, source: 'declared' } };

function message(i: number, output: string): ResultMessage {
  return {
    type: 'result',
    resultId: `pool-crash-${i}`,
    taskId: null,
    target: '192.0.2.50',
    engine: 'traceroute',
    output,
    startedAt: '2026-12-08T00:00:00.000Z',
    durationMs: 900,
  };
}

const OUTPUT = [
  'traceroute to 192.0.2.50 (192.0.2.50), 30 hops max, 60 byte packets',
  ' 1  10.0.0.1  0.443 ms  0.352 ms  0.340 ms',
  ' 2  8.8.8.8  12.1 ms  12.3 ms  12.2 ms',
  ' 3  192.0.2.50  20.0 ms  20.1 ms  20.2 ms',
  '',
].join('\n');

describe('the analysis pool', () => {
  it('answers the results of a worker that dies "failed", replaces it, and builds with the new one', async () => {
    const workers: Worker[] = [];
    const pool = startAnalysisPool({ size: 1, analyzer: {}, onWorker: (w) => workers.push(w) });
    try {
      await pool.ready();
      const first = await pool.build(AGENT, message(0, OUTPUT), 'received');
      expect(first && 'record' in first ? first.record.traces.length : 0).toBe(1);
      const inFlight = Array.from({ length: 20 }, (_, i) =>
        pool.build(AGENT, message(i + 1, OUTPUT), 'received'),
      );
      await workers[0]?.terminate();
      const answers = (await Promise.all(inFlight)) as BuiltRecord[];
      const lost = answers.filter((a) => 'unbuilt' in a);
      // Each is answered: built before the worker died, or failed (to be sent again), none left hanging.
      expect(answers).toHaveLength(20);
      for (const a of lost)
        expect(a).toMatchObject({ unbuilt: 'failed', reason: expect.stringContaining('stopped') });
      expect(pool.stats()).toMatchObject({ replaced: 1, lost: lost.length, inFlight: 0 });
      expect(workers).toHaveLength(2);
      const after = await pool.build(AGENT, message(99, OUTPUT), 'received');
      expect(after && 'record' in after ? after.record.traces.length : 0).toBe(1);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('answers "saturated" beyond its bound instead of queueing', async () => {
    const pool = startAnalysisPool({ size: 1, analyzer: {}, perWorker: 2 });
    try {
      await pool.ready();
      const answers = await Promise.all(
        [0, 1, 2, 3].map((i) => pool.build(AGENT, message(i, OUTPUT), 'received')),
      );
      expect(answers.map((a) => (a && 'record' in a ? 'record' : a?.unbuilt))).toEqual([
        'record',
        'record',
        'saturated',
        'saturated',
      ]);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('fails to start with the coded error the main thread gives for the same databases', async () => {
    const cityDb = path.join(tempDir(), 'missing.mmdb');
    let inThread: unknown = null;
    try {
      createAnalyzer({ cityDb });
    } catch (err) {
      inThread = err;
    }
    expect(inThread).toBeInstanceOf(DetourwatchError);
    const pool = startAnalysisPool({ size: 1, analyzer: { cityDb } });
    try {
      const failure = await pool.ready().then(
        () => null,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(DetourwatchError);
      expect((failure as DetourwatchError).code).toBe((inThread as DetourwatchError).code);
      expect((failure as DetourwatchError).message).toBe((inThread as DetourwatchError).message);
      // It gave up: ingest builds in-thread.
      expect(pool.build(AGENT, message(0, OUTPUT), 'received')).toBeNull();
    } finally {
      await pool.close();
    }
  }, 60_000);
});

describe('serve --analysis-workers', () => {
  const read = (args: string[], env: Record<string, string> = {}) =>
    loadServeOptions(['--data', tempDir(), ...args], env).config.analysisWorkers;

  it('is read by the one option reader: flag, variable, default 0, bounded', () => {
    expect(read([])).toBe(0);
    expect(read(['--analysis-workers', '3'])).toBe(3);
    expect(read([], { DETOURWATCH_ANALYSIS_WORKERS: '2' })).toBe(2);
    expect(() => read(['--analysis-workers', '65'])).toThrow(/analysis-workers/);
    expect(() => read(['--analysis-workers', 'many'])).toThrow(DetourwatchError);
  });
});
