/**
 * The history beside the real ingest path: an agent's result goes through ingest (parse, analysis over the
 * test world, store), the store's trace hook folds it into an incident in the same transaction, a webhook
 * receiver on 127.0.0.1 hears the incident open and, once quiet, close; retention then deletes old raw hops
 * and outputs while verdicts and incidents stay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResultMessage } from '../../protocol/messages.ts';
import type { AlertPayload } from '../../server/alerts/payload.ts';
import { webhookTarget } from '../../server/alerts/webhook-config.ts';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { type HistoryService, startHistory } from '../../server/history/history-service.ts';
import { createHistoryQueries } from '../../server/history/queries.ts';
import { createIngest, type Ingest, type IngestReply } from '../../server/ingest/ingest.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { startRetention } from '../../server/retention/retention.ts';
import { openSqliteStore, type SqliteStore } from '../../server/store/sqlite-store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import { startReceiver } from '../alerts/webhook-receiver.ts';
import { CITIES, writeWorldDatabases } from '../helpers/analyze-world.ts';
import { tracerouteOutput } from '../integration/coordinator-harness.ts';

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

let dir: string;
let store: SqliteStore;
let clock: number;
const closers: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-ingest-history-'));
  store = openSqliteStore({ dataDir: path.join(dir, 'data'), create: true });
  clock = Date.parse('2026-03-01T12:00:00Z');
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

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

function setup(webhookUrl: string | null): { history: HistoryService; ingest: Ingest } {
  const analyzer = createAnalyzer({ ...writeWorldDatabases(dir), lookUpDocumentation: true });
  const history = startHistory({
    store,
    quietMs: QUIET,
    webhooks: webhookUrl === null ? [] : [webhookTarget(webhookUrl, SECRET)],
    retainHopsDays: null,
    sweepMs: 20,
    now: () => clock,
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

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('incidents from ingested results', () => {
  it('opens an incident as the detour is stored, alerts a signed webhook, and closes it once quiet', async () => {
    const receiver = await startReceiver(SECRET, [200]);
    closers.push(receiver.close);
    const { ingest } = setup(receiver.url);
    const id = await agent();

    expect(await submit(ingest, id, DOMESTIC, clock - HOUR)).toEqual({ status: 'stored' });
    expect(await submit(ingest, id, DETOUR, clock - 10 * 60_000)).toEqual({ status: 'stored' });
    expect(await submit(ingest, id, DETOUR, clock)).toEqual({ status: 'stored' });

    const queries = createHistoryQueries(store.database);
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
    const [incident] = queries.incidents(all, page).items;
    expect(incident).toMatchObject({
      state: 'open',
      subject: `agent:${id}`,
      agentId: id,
      traceCount: 2,
      asns: [4134],
    });
    const [baseline] = queries.baselines({ agent: id, target: null }, page).items;
    expect(baseline).toMatchObject({ target: '203.0.113.9', changed: true, normal: { countries: ['US'] } });

    await until(() => receiver.received.length === 1, 'the opened alert');
    const opened = JSON.parse(receiver.received[0]?.body ?? '{}') as AlertPayload;
    expect(receiver.received[0]?.signatureValid).toBe(true);
    expect(opened).toMatchObject({ event: 'incident.opened', incident: { id: incident?.id, traceCount: 1 } });

    clock += QUIET + 1;
    await until(() => receiver.received.length === 2, 'the closed alert');
    const closed = JSON.parse(receiver.received[1]?.body ?? '{}') as AlertPayload;
    expect(closed).toMatchObject({
      event: 'incident.closed',
      incident: { id: incident?.id, state: 'closed' },
    });
    expect(queries.incident(incident?.id ?? 0)?.state).toBe('closed');
    // The receiver has the request before the coordinator has its answer and records it.
    const deliveries = () => queries.deliveries(page).items;
    await until(() => deliveries().every((d) => d.status !== 'pending'), 'the deliveries to be recorded');
    expect(deliveries().map((d) => [d.event, d.status])).toEqual([
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
    const history = startHistory({
      store,
      quietMs: QUIET,
      webhooks: [],
      retainHopsDays: null,
      now: () => clock,
    });
    closers.push(() => history.close());
    const { items } = createHistoryQueries(store.database).incidents(
      { since: null, until: null, state: 'open', agent: id, country: 'CN', asn: null, target: null },
      { limit: 10, after: null, now: clock, fingerprint: '' },
    );
    expect(items).toHaveLength(1);
  });

  it("keeps an agent's path ASNs and position, so its baseline sees the detour's networks", async () => {
    const { ingest } = setup(null);
    const id = await agent();
    await submit(ingest, id, DOMESTIC, clock - HOUR);
    await submit(ingest, id, DETOUR, clock);

    const queries = createHistoryQueries(store.database);
    const page = { limit: 10, after: null, now: clock, fingerprint: '' };
    const [baseline] = queries.baselines({ agent: id, target: null }, page).items;
    // The world's networks (analyze-world.ts): San Jose AS64500, Shanghai AS4134, Washington AS64501.
    expect(baseline).toMatchObject({
      changed: true,
      normal: { countries: ['US'], asns: [64500, 64501] },
      latest: { verdict: 'detour', countries: ['US', 'CN'], asns: [64500, 4134, 64501] },
    });
    const stored = store.database
      .prepare(
        'SELECT source_lat AS lat, source_lon AS lon, path_asns FROM traces WHERE agent_id = ? ORDER BY id',
      )
      .all(id);
    expect(stored).toEqual([
      { ...CITIES.sanJose, path_asns: '[64500,64501]' },
      { ...CITIES.sanJose, path_asns: '[64500,4134,64501]' },
    ]);
  });
});

describe('retention', () => {
  it('deletes old raw hops and outputs in small batches, keeping verdicts, evidence and incidents', async () => {
    const { ingest } = setup(null);
    const id = await agent();
    for (let i = 0; i < 5; i++)
      await submit(ingest, id, i % 2 === 0 ? DETOUR : DOMESTIC, clock - 10 * DAY + i * 60_000);
    await submit(ingest, id, DETOUR, clock);
    const db = store.database;
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    const oldHops = count(
      `SELECT COUNT(*) FROM hops WHERE trace_id IN (SELECT id FROM traces WHERE started_at < ${clock - DAY})`,
    );
    expect(oldHops).toBeGreaterThan(0);
    const before = {
      verdicts: count('SELECT COUNT(*) FROM traces'),
      foreign: count('SELECT COUNT(*) FROM foreign_hops'),
    };
    const incidents = count('SELECT COUNT(*) FROM incidents');

    const retention = startRetention({
      db,
      retainDays: 7,
      batchSize: 2,
      now: () => clock,
      intervalMs: 3_600_000,
    });
    closers.push(() => retention.stop());
    const purged = await retention.runOnce();
    // The periodic run may have done (part of) the work already; together they purged the five old traces.
    const left = count(`SELECT COUNT(*) FROM traces WHERE hops_purged_at IS NOT NULL`);
    expect(left).toBe(5);
    expect(purged.traces).toBeLessThanOrEqual(5);
    expect(
      count(
        `SELECT COUNT(*) FROM hops WHERE trace_id IN (SELECT id FROM traces WHERE started_at < ${clock - DAY})`,
      ),
    ).toBe(0);
    expect(
      count(
        `SELECT COUNT(*) FROM hops WHERE trace_id IN (SELECT id FROM traces WHERE started_at >= ${clock - DAY})`,
      ),
    ).toBeGreaterThan(0);
    expect(count(`SELECT COUNT(*) FROM results WHERE output = ''`)).toBe(5);
    expect({
      verdicts: count('SELECT COUNT(*) FROM traces'),
      foreign: count('SELECT COUNT(*) FROM foreign_hops'),
    }).toEqual(before);
    expect(count('SELECT COUNT(*) FROM incidents')).toBe(incidents);

    const queries = createHistoryQueries(db);
    const oldest = db.prepare('SELECT MIN(id) FROM traces').pluck().get() as number;
    expect(queries.trace(oldest)).toMatchObject({ hopsPurged: true, hops: [], verdict: 'detour' });
    expect(queries.trace(oldest)?.verdictDetail.foreignHops).toHaveLength(1);
    expect(await retention.runOnce()).toEqual({ traces: 0, hops: 0, outputs: 0 });
  });
});
