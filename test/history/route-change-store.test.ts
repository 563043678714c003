/**
 * Usual paths and route changes in the store (issue 14, item 4), on SQLite and PostgreSQL: traces written
 * through the real write path with the incident fold bound; the baseline shows the usual path with its
 * share, each change of the AS path is one route-change row, paged and filtered like the other histories;
 * and the trace a task's result was stored as is found again (GET /api/v1/measurements/{taskId}).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readPage } from '../../server/history/filters.ts';
import { createIncidentFold } from '../../server/incidents/fold.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { hashToken } from '../../server/store/tokens.ts';
import { createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { AGENT_LOCATION, DOMESTIC_OUTPUT } from '../integration/coordinator-harness.ts';
import { domesticObservation } from './observation.ts';
import { describeEngines, storeEngines, type TestStore } from './test-store.ts';
import { recordOf } from './trace-records.ts';

const engines = await storeEngines('usual paths and route changes');
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const A = [7018, 3356];
const B = [7018, 174, 3356];
const fold = createIncidentFold({ corroboration: 1, maxWitnessesPerOwner: 2 });

const page = (query: Record<string, string> = {}) => readPage(query, T0 + 100 * HOUR);

describeEngines(engines, (engine) => {
  let env: TestStore;
  beforeEach(async () => {
    env = await engine.open();
    env.store.setIncidentFold({ fold, quietMs: 2 * HOUR, now: () => T0 + 100 * HOUR, committed: () => {} });
  });
  afterEach(() => env.cleanup());

  /** `n` domestic traces of one agent to one target on AS path `asns`, one an hour from `from`. */
  const trace = (agentId: string, target: string, asns: number[], at: number) =>
    recordOf(domesticObservation({ agentId, destinationIp: target, pathAsns: asns, startedAt: at }));

  it('keeps the usual path with its share, and records each AS path change once', async () => {
    const seq: [number[], number][] = [];
    for (let i = 0; i < 6; i++) seq.push([A, i]);
    // A flap to B and back, then B for good.
    for (let i = 6; i < 20; i++) seq.push([i === 7 ? A : B, i]);
    // One batch per trace and one batch of several: the fold sees them in order either way.
    for (const [asns, i] of seq.slice(0, 10)) {
      await env.store.writeImported([trace('ag_sea', '203.0.113.10', asns, T0 + i * HOUR)]);
    }
    await env.store.writeImported(
      seq.slice(10).map(([asns, i]) => trace('ag_sea', '203.0.113.10', asns, T0 + i * HOUR)),
    );
    // Another pair, whose path never changes: no route change of its own.
    await env.store.writeImported([0, 1, 2].map((i) => trace('ag_nyc', '203.0.113.20', A, T0 + i * HOUR)));

    const baselines = await env.store.baselinePage({ agent: 'ag_sea', target: null }, page());
    expect(baselines.items).toHaveLength(1);
    const b = baselines.items[0];
    // 6 + 1 traces on A, 13 on B: B leads by more than the margin, so it is the usual path now.
    expect(b?.normal).toMatchObject({ asns: B, traces: 13, of: 20, leftHome: false });
    expect(b?.normal?.share).toBeCloseTo(13 / 20, 10);

    const all = await env.store.routeChangePage({ agent: null, target: null, since: null }, page());
    expect(all.items.map((c) => [c.kind, c.before.asns, c.after.asns])).toEqual([
      ['new-usual', A, B],
      ['new-path', A, B],
    ]);
    const [usual, first] = all.items;
    expect(first).toMatchObject({
      agentId: 'ag_sea',
      subject: 'agent:ag_sea',
      target: '203.0.113.10',
      at: new Date(T0 + 6 * HOUR).toISOString(),
      before: { traces: 6, of: 6, share: 1 },
      after: { traces: 1, of: 7 },
      leftHome: false,
    });
    expect((usual?.at ?? '') > (first?.at ?? '')).toBe(true);
    expect(await env.count('SELECT COUNT(*) FROM route_changes')).toBe(2);

    // Filters and cursors, as the other histories page.
    const one = await env.store.routeChangePage(
      { agent: null, target: null, since: null },
      { ...page(), limit: 1 },
    );
    expect(one.items.map((c) => c.id)).toEqual([usual?.id]);
    expect(one.nextCursor).not.toBeNull();
    const next = await env.store.routeChangePage(
      { agent: null, target: null, since: null },
      page({ limit: '1', cursor: one.nextCursor ?? '' }),
    );
    expect(next.items.map((c) => c.id)).toEqual([first?.id]);
    expect(next.nextCursor).toBeNull();
    const none = { agent: 'ag_nyc', target: null, since: null };
    expect((await env.store.routeChangePage(none, page())).items).toEqual([]);
    const byTarget = { agent: null, target: '203.0.113.10', since: Date.parse(usual?.at ?? '') };
    expect((await env.store.routeChangePage(byTarget, page())).items.map((c) => c.kind)).toEqual([
      'new-usual',
    ]);
  });

  it("finds the trace a task's result was stored as", async () => {
    const token = await env.store.createToken('sfo', hashToken('t'), '2026-01-01T00:00:00.000Z');
    const agent = await env.store.recordHello({
      tokenId: token.id,
      name: 'sfo',
      location: AGENT_LOCATION,
      engines: ['traceroute'],
      limits: { maxConcurrent: 2, maxPerMinute: 30 },
      agentVersion: '0.1.0',
      protocolVersion: 1,
      address: '198.51.100.9',
      at: '2026-03-01T11:59:00.000Z',
    });
    const analyzer = createWorldAnalyzer();
    const traces = parseTraces(DOMESTIC_OUTPUT, 'traceroute').map((t) => ({
      origin: 'agent' as const,
      agentId: agent.id,
      trace: t,
      verdict: analyzer.analyze(t, { ...AGENT_LOCATION, source: 'declared' }),
    }));
    await env.store.writeResults([
      {
        resultId: 'result-task-0001',
        agentId: agent.id,
        taskId: 'tk_0001',
        target: traces[0]?.trace.destination.address ?? '',
        engine: 'traceroute',
        startedAt: '2026-03-01T12:00:00.000Z',
        durationMs: 800,
        receivedAt: '2026-03-01T12:00:01.000Z',
        output: DOMESTIC_OUTPUT,
        error: null,
        traces,
      },
    ]);
    const id = await env.store.traceIdOfResult('result-task-0001');
    expect(id).not.toBeNull();
    expect((await env.store.traceDetail(id ?? 0))?.resultId).toBe('result-task-0001');
    expect(await env.store.traceIdOfResult('result-none')).toBeNull();
  });
});
