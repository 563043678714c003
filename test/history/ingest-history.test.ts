/**
 * The history beside the real ingest path: an agent's result goes through ingest (parse, analysis over the
 * test world, store), the store's trace hook folds it into an incident in the same transaction, a webhook
 * receiver on 127.0.0.1 hears the incident open and, once quiet, close; retention then deletes old raw hops
 * and outputs while verdicts and incidents stay.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResultMessage } from '../../protocol/messages.ts';
import type { AlertPayload } from '../../server/alerts/payload.ts';
import { webhookTarget } from '../../server/alerts/webhook-config.ts';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { type HistoryService, startHistory } from '../../server/history/history-service.ts';
import { createIncidentFold } from '../../server/incidents/fold.ts';

/** The product's fold with corroboration off, as setup() runs it. */
const incidentFold = createIncidentFold({ corroboration: 1, maxWitnessesPerOwner: 2 });

import { buildResultRecord } from '../../server/ingest/build-record.ts';
import { createIngest, type Ingest, type IngestReply } from '../../server/ingest/ingest.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { startRetention } from '../../server/retention/retention.ts';
import type { IncidentFold } from '../../server/store/incident-store.ts';
import type { Store } from '../../server/store/store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import type { ResultRecord } from '../../server/store/trace-store.ts';
import { startReceiver } from '../alerts/webhook-receiver.ts';
import { CITIES, writeWorldDatabases } from '../helpers/analyze-world.ts';
import { tracerouteOutput } from '../integration/coordinator-harness.ts';
import { describeEngines, storeEngines, type TestStore } from './test-store.ts';

const SECRET = 'hook-secret';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const QUIET = 2 * HOUR;
const kmSjShanghai = greatCircleKm(CITIES.sanJose, CITIES.shanghai);
const through = (kmSjShanghai + greatCircleKm(CITIES.shanghai, CITIES.washington)) / 100 + 10;
const direct = greatCircleKm(CITIES.sanJose, CITIES.washington) / 100 + 8;

const DETOUR = tracerouteOutput('203.0.113.9', [
  '192.0.2.1  0.8 ms  0.9 ms  0.8 ms',
  `198.51.100.1  ${(kmSjShanghai / 100 + 20).toFixed(1)} ms  ${(kmSjShanghai / 100 + 21).toFixed(1)} ms *`,
  `203.0.113.1  ${through.toFixed(1)} ms  ${(through + 1).toFixed(1)} ms  ${(through + 2).toFixed(1)} ms`,
  `203.0.113.9  ${(through + 1).toFixed(1)} ms  ${(through + 1).toFixed(1)} ms  ${(through + 2).toFixed(1)} ms`,
]);
const DOMESTIC = tracerouteOutput('203.0.113.9', [
  '192.0.2.1  0.8 ms  0.9 ms  0.8 ms',
  `203.0.113.1  ${direct.toFixed(1)} ms  ${direct.toFixed(1)} ms  ${direct.toFixed(1)} ms`,
  `203.0.113.9  ${(direct + 1).toFixed(1)} ms  ${(direct + 1).toFixed(1)} ms  ${(direct + 1).toFixed(1)} ms`,
]);

const engines = await storeEngines('incidents, alerts and retention beside the ingest');
let env: TestStore;
let dir: string;
let store: Store;
let clock: number;
const closers: (() => Promise<void> | void)[] = [];

async function agent(): Promise<string> {
  const token = await store.createToken('sjc', hashToken('t'), new Date(clock).toISOString());
  const record = await store.recordHello({
    tokenId: token.id,
    name: 'sjc-volunteer',
    location: CITIES.sanJose,
    engines: ['traceroute'],
    limits: { maxConcurrent: 1, maxPerMinute: 10 },
    agentVersion: '0.1.0',
    protocolVersion: 1,
    address: null,
    at: new Date(clock).toISOString(),
  });
  return record.id;
}

let n = 0;
/** When the coordinator received the result being submitted: the time it measured, to the millisecond. */
let receivedAt = 0;
function submit(ingest: Ingest, agentId: string, output: string, at: number): Promise<IngestReply> {
  const message: ResultMessage = {
    type: 'result',
    resultId: `r-${++n}`,
    taskId: null,
    target: '203.0.113.9',
    engine: 'traceroute',
    output,
    startedAt: new Date(at).toISOString(),
    durationMs: 900,
  };
  receivedAt = at;
  return new Promise((resolve) =>
    ingest.submit({ id: agentId, position: { ...CITIES.sanJose, source: 'declared' } }, message, resolve),
  );
}

async function setup(
  webhookUrl: string | null,
  fold?: IncidentFold,
): Promise<{ history: HistoryService; ingest: Ingest }> {
  const analyzer = createAnalyzer({ ...writeWorldDatabases(dir), lookUpDocumentation: true });
  const history = await startHistory({
    store,
    quietMs: QUIET,
    webhooks: webhookUrl === null ? [] : [webhookTarget(webhookUrl, SECRET)],
    retainHopsDays: null,
    sweepMs: 20,
    now: () => clock,
    // One agent's alerts end to end; corroboration by independent witnesses is trust-witnesses.test.ts's.
    corroboration: 1,
    ...(fold ? { fold } : {}),
  });
  const ingest = createIngest({
    store,
    parseTraces,
    analyze: analyzer.annotateAndJudge,
    batchMs: 5,
    now: () => new Date(receivedAt),
  });
  closers.push(
    () => history.close(),
    () => ingest.close(),
  );
  return { history, ingest };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describeEngines(engines, (engine) => {
  beforeEach(async () => {
    env = await engine.open();
    dir = env.dir;
    store = env.store;
    clock = Date.parse('2026-03-01T12:00:00Z');
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await env.cleanup();
  });

  describe('incidents from ingested results', () => {
    it('opens an incident as the detour is stored, alerts a signed webhook, and closes it once quiet', async () => {
      const receiver = await startReceiver(SECRET, [200]);
      closers.push(receiver.close);
      const { ingest } = await setup(receiver.url);
      const id = await agent();

      expect(await submit(ingest, id, DOMESTIC, clock - HOUR)).toEqual({ status: 'stored' });
      expect(await submit(ingest, id, DETOUR, clock - 10 * 60_000)).toEqual({ status: 'stored' });
      expect(await submit(ingest, id, DETOUR, clock)).toEqual({ status: 'stored' });

      const all = {
        since: null,
        until: null,
        state: null,
        agent: null,
        country: null,
        asn: null,
        target: null,
      };
      const page = { limit: 10, after: null, now: clock, fingerprint: '' };
      const [incident] = (await store.incidentPage(all, page)).items;
      expect(incident).toMatchObject({
        state: 'open',
        subject: `agent:${id}`,
        agentId: id,
        traceCount: 2,
        asns: [4134],
      });
      const [baseline] = (await store.baselinePage({ agent: id, target: null }, page)).items;
      expect(baseline).toMatchObject({ target: '203.0.113.9', changed: true, normal: { countries: ['US'] } });

      await until(() => receiver.received.length === 1, 'the opened alert');
      const opened = JSON.parse(receiver.received[0]?.body ?? '{}') as AlertPayload;
      expect(receiver.received[0]?.signatureValid).toBe(true);
      expect(opened).toMatchObject({
        event: 'incident.opened',
        incident: { id: incident?.id, traceCount: 1 },
      });

      clock += QUIET + 1;
      await until(() => receiver.received.length === 2, 'the closed alert');
      const closed = JSON.parse(receiver.received[1]?.body ?? '{}') as AlertPayload;
      expect(closed).toMatchObject({
        event: 'incident.closed',
        incident: { id: incident?.id, state: 'closed' },
      });
      expect((await store.incidentDetail(incident?.id ?? 0))?.state).toBe('closed');
      // The receiver has the request before the coordinator has its answer and records it.
      let deliveries = (await store.deliveryPage(page)).items;
      await until(async () => {
        deliveries = (await store.deliveryPage(page)).items;
        return deliveries.every((d) => d.status !== 'pending');
      }, 'the deliveries to be recorded');
      expect(deliveries.map((d) => [d.event, d.status])).toEqual([
        ['incident.closed', 'delivered'],
        ['incident.opened', 'delivered'],
      ]);
    });

    it('catches up at start with traces stored while nothing observed them', async () => {
      const id = await agent();
      const analyzer = createAnalyzer({ ...writeWorldDatabases(dir), lookUpDocumentation: true });
      const unobserved = createIngest({ store, parseTraces, analyze: analyzer.annotateAndJudge, batchMs: 5 });
      await submit(unobserved, id, DETOUR, clock);
      await unobserved.close();
      const history = await startHistory({
        store,
        quietMs: QUIET,
        webhooks: [],
        retainHopsDays: null,
        now: () => clock,
      });
      closers.push(() => history.close());
      const { items } = await store.incidentPage(
        { since: null, until: null, state: 'open', agent: id, country: 'CN', asn: null, target: null },
        { limit: 10, after: null, now: clock, fingerprint: '' },
      );
      expect(items).toHaveLength(1);
    });

    it("keeps an agent's path ASNs and position, so its baseline sees the detour's networks", async () => {
      const { ingest } = await setup(null);
      const id = await agent();
      await submit(ingest, id, DOMESTIC, clock - HOUR);
      await submit(ingest, id, DETOUR, clock);

      const page = { limit: 10, after: null, now: clock, fingerprint: '' };
      const [baseline] = (await store.baselinePage({ agent: id, target: null }, page)).items;
      // The world's networks (analyze-world.ts): San Jose AS64500, Shanghai AS4134, Washington AS64501.
      expect(baseline).toMatchObject({
        changed: true,
        normal: { countries: ['US'], asns: [64500, 64501] },
        latest: { verdict: 'detour', countries: ['US', 'CN'], asns: [64500, 4134, 64501] },
      });
      const stored = await env.query(
        'SELECT source_lat AS lat, source_lon AS lon, path_asns FROM traces WHERE agent_id = ? ORDER BY id',
        [id],
      );
      expect(stored).toEqual([
        { ...CITIES.sanJose, path_asns: '[64500,64501]' },
        { ...CITIES.sanJose, path_asns: '[64500,4134,64501]' },
      ]);
    });
  });

  /** The product's fold, failing on its first call only: a bug or a fault in the middle of folding a batch. */
  function failingOnce(): IncidentFold & { calls(): number } {
    let calls = 0;
    return {
      ...incidentFold,
      fold(state, observations, quietMs, now) {
        calls += 1;
        if (calls === 1) throw new Error('the fold failed (injected)');
        return incidentFold.fold(state, observations, quietMs, now);
      },
      calls: () => calls,
    };
  }

  const everything = { since: null, until: null, verdict: null, agent: null, target: null, origin: null };
  const anyIncident = {
    since: null,
    until: null,
    state: null,
    agent: null,
    country: null,
    asn: null,
    target: null,
  };

  /** Every stored trace, and the incidents they are evidence of. */
  async function ledger(at: number) {
    const page = { limit: 100, after: null, now: at, fingerprint: '' };
    const traces = (await store.tracePage(everything, page)).items;
    const incidents = (await store.incidentPage(anyIncident, page)).items;
    const baselines = (await store.baselinePage({ agent: null, target: null }, page)).items;
    return { traces, incidents, baselines };
  }

  describe('a fold that fails', () => {
    it('fails the write and stores nothing; written again, every trace reaches its incident, and a restart leaves nothing to catch up', async () => {
      const fold = failingOnce();
      const logs: string[] = [];
      const history = await startHistory({
        store,
        quietMs: QUIET,
        webhooks: [],
        retainHopsDays: null,
        now: () => clock,
        log: (line) => logs.push(line),
        fold,
      });
      const id = await agent();
      const analyzer = createAnalyzer({ ...writeWorldDatabases(dir), lookUpDocumentation: true });
      const fns = { parseTraces, analyze: analyzer.annotateAndJudge };
      const result = (resultId: string, output: string, at: number): ResultRecord =>
        buildResultRecord(
          { id, position: { ...CITIES.sanJose, source: 'declared' } },
          {
            type: 'result',
            resultId,
            taskId: null,
            target: '203.0.113.9',
            engine: 'traceroute',
            output,
            startedAt: new Date(at).toISOString(),
            durationMs: 900,
          },
          new Date(at).toISOString(),
          fns,
        );
      const first = [
        result('r-a1', DETOUR, clock - 30 * 60_000),
        result('r-a2', DOMESTIC, clock - 20 * 60_000),
      ];
      const second = [result('r-b1', DETOUR, clock - 10 * 60_000), result('r-b2', DETOUR, clock)];

      // The first batch's fold throws: the whole write rolls back and rejects (the ingest answers `retry`).
      await expect(store.writeResults(first)).rejects.toThrow(/injected/);
      expect(await store.counts()).toMatchObject({ results: 0, traces: 0 });
      expect(await store.incidentWatermark()).toBe(0);
      // The next good batch is stored and folded; then the first one, sent again.
      expect(await store.writeResults(second)).toEqual(['stored', 'stored']);
      expect(await store.writeResults(first)).toEqual(['stored', 'stored']);
      expect(fold.calls()).toBe(3);

      const after = await ledger(clock);
      expect(after.traces.map((t) => t.verdict).sort()).toEqual(['detour', 'detour', 'detour', 'domestic']);
      expect(after.incidents).toHaveLength(1);
      const [incident] = after.incidents;
      expect(incident).toMatchObject({ traceCount: 3, state: 'open' });
      for (const t of after.traces)
        expect([t.verdict, t.incidentId]).toEqual([t.verdict, t.verdict === 'detour' ? incident?.id : null]);
      expect(
        (
          await store.incidentTracePage(incident?.id ?? 0, {
            limit: 10,
            after: null,
            now: clock,
            fingerprint: '',
          })
        ).items,
      ).toHaveLength(3);
      expect(await store.incidentWatermark()).toBe(Math.max(...after.traces.map((t) => t.id)));

      // A restart: catch-up finds nothing left behind and counts nothing twice.
      await history.close();
      store = await env.reopen();
      logs.length = 0;
      const restarted = await startHistory({
        store,
        quietMs: QUIET,
        webhooks: [],
        retainHopsDays: null,
        now: () => clock,
        log: (line) => logs.push(line),
      });
      closers.push(() => restarted.close());
      expect(await restarted.tracker.catchUp()).toEqual([]);
      expect(await ledger(clock)).toEqual(after);
      expect(logs.filter((l) => l.startsWith('incident #'))).toEqual([]);
    });

    it('through the ingest: the failed batch is written again, acknowledged only once stored, and folded', async () => {
      const fold = failingOnce();
      const { ingest } = await setup(null, fold);
      const id = await agent();
      // Two results in one batch: its write fails in the fold; the ingest writes them again one by one.
      const replies = await Promise.all([
        submit(ingest, id, DETOUR, clock - 10 * 60_000),
        submit(ingest, id, DETOUR, clock),
      ]);
      expect(replies).toEqual([{ status: 'stored' }, { status: 'stored' }]);
      expect(fold.calls()).toBeGreaterThanOrEqual(2);
      const { traces, incidents } = await ledger(clock);
      expect(traces).toHaveLength(2);
      expect(incidents).toHaveLength(1);
      expect(incidents[0]?.traceCount).toBe(2);
      expect(traces.map((t) => t.incidentId)).toEqual([incidents[0]?.id, incidents[0]?.id]);
    });
  });

  describe('retention', () => {
    it('deletes old raw hops and outputs in small batches, keeping verdicts, evidence and incidents', async () => {
      const { ingest } = await setup(null);
      const id = await agent();
      for (let i = 0; i < 5; i++)
        await submit(ingest, id, i % 2 === 0 ? DETOUR : DOMESTIC, clock - 10 * DAY + i * 60_000);
      await submit(ingest, id, DETOUR, clock);
      const count = (sql: string) => env.count(sql);
      const oldHops = await count(
        `SELECT COUNT(*) FROM hops WHERE trace_id IN (SELECT id FROM traces WHERE started_at < ${clock - DAY})`,
      );
      expect(oldHops).toBeGreaterThan(0);
      const before = {
        verdicts: await count('SELECT COUNT(*) FROM traces'),
        foreign: await count('SELECT COUNT(*) FROM foreign_hops'),
      };
      const incidents = await count('SELECT COUNT(*) FROM incidents');

      const retention = startRetention({
        store,
        retainDays: 7,
        batchSize: 2,
        now: () => clock,
        intervalMs: 3_600_000,
      });
      closers.push(() => retention.stop());
      const purged = await retention.runOnce();
      // The periodic run may have done (part of) the work already; together they purged the five old traces.
      const left = await count(`SELECT COUNT(*) FROM traces WHERE hops_purged_at IS NOT NULL`);
      expect(left).toBe(5);
      expect(purged.traces).toBeLessThanOrEqual(5);
      expect(
        await count(
          `SELECT COUNT(*) FROM hops WHERE trace_id IN (SELECT id FROM traces WHERE started_at < ${clock - DAY})`,
        ),
      ).toBe(0);
      expect(
        await count(
          `SELECT COUNT(*) FROM hops WHERE trace_id IN (SELECT id FROM traces WHERE started_at >= ${clock - DAY})`,
        ),
      ).toBeGreaterThan(0);
      expect(await count(`SELECT COUNT(*) FROM results WHERE output = ''`)).toBe(5);
      expect({
        verdicts: await count('SELECT COUNT(*) FROM traces'),
        foreign: await count('SELECT COUNT(*) FROM foreign_hops'),
      }).toEqual(before);
      expect(await count('SELECT COUNT(*) FROM incidents')).toBe(incidents);

      const oldest = await count('SELECT MIN(id) FROM traces');
      expect(await store.traceDetail(oldest)).toMatchObject({
        hopsPurged: true,
        hops: [],
        verdict: 'detour',
      });
      expect((await store.traceDetail(oldest))?.verdictDetail.foreignHops).toHaveLength(1);
      expect(await retention.runOnce()).toEqual({ traces: 0, hops: 0, outputs: 0 });
    });
  });
});
