import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResultMessage } from '../../protocol/messages.ts';
import type { Trace } from '../../protocol/trace.ts';
import { buildResultRecord } from '../../server/ingest/build-record.ts';
import type { ParseTraces } from '../../server/ingest/dependencies.ts';
import { createIngest, type IngestReply } from '../../server/ingest/ingest.ts';
import { isStoreBusy } from '../../server/ingest/store-busy.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import type { Store } from '../../server/store/store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import { createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { AGENT_LOCATION, DETOUR_OUTPUT, DOMESTIC_OUTPUT } from '../integration/coordinator-harness.ts';

const analyzer = createWorldAnalyzer();
const analyze = analyzer.annotateAndJudge;

let dir: string;
let store: Store;
let agentId: string;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-ingest-'));
  store = openSqliteStore({ dataDir: dir, create: true });
  const token = await store.createToken('ingest', hashToken('x'), new Date().toISOString());
  const agent = await store.recordHello({
    tokenId: token.id,
    name: 'ingest',
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

let n = 0;
function message(output: string, resultId = `ingest-result-${++n}`): ResultMessage {
  return {
    type: 'result',
    resultId,
    taskId: null,
    target: '192.0.2.50',
    engine: 'traceroute',
    output,
    startedAt: '2026-04-01T10:00:00.000Z',
    durationMs: 900,
  };
}

const agent = () => ({ id: agentId, position: { ...AGENT_LOCATION, source: 'declared' as const } });

describe('building a record', () => {
  it("judges each trace from the agent's declared position and tags it with the agent", () => {
    const seen: unknown[] = [];
    const record = buildResultRecord(agent(), message(DETOUR_OUTPUT), '2026-04-01T10:00:01.000Z', {
      parseTraces,
      analyze: (trace, position) => {
        seen.push(position);
        return analyze(trace, position);
      },
    });
    expect(record.error).toBeNull();
    expect(record.traces).toHaveLength(1);
    expect(record.traces[0]?.trace.source.agentId).toBe(agentId);
    expect(seen).toEqual([{ ...AGENT_LOCATION, source: 'declared' }]);
    // The Shanghai hop (AS4134 in the test world) is abroad; the path's ASNs and the position go with it.
    expect(record.traces[0]).toMatchObject({
      verdict: { verdict: 'detour', foreignAsns: [4134] },
      sourcePosition: AGENT_LOCATION,
      pathAsns: [4134, 64500],
    });
  });

  it('an agent without a location gives its traces no position', () => {
    const record = buildResultRecord(
      { id: agentId, position: null },
      message(DOMESTIC_OUTPUT),
      '2026-04-01T10:00:01.000Z',
      { parseTraces, analyze },
    );
    expect(record.traces[0]).toMatchObject({ sourcePosition: null, pathAsns: [64500] });
  });

  it("takes the probe method from the agent when the tool's output does not name it", () => {
    const parsedMethod = parseTraces(DOMESTIC_OUTPUT, 'traceroute')[0]?.method;
    expect(parsedMethod).toBe('unknown');
    const told = buildResultRecord(
      { id: agentId, position: null },
      { ...message(DOMESTIC_OUTPUT), method: 'icmp' },
      '2026-04-01T10:00:01.000Z',
      { parseTraces, analyze },
    );
    expect(told.traces[0]?.trace.method).toBe('icmp');
    const silent = buildResultRecord(
      { id: agentId, position: null },
      message(DOMESTIC_OUTPUT),
      '2026-04-01T10:00:01.000Z',
      {
        parseTraces,
        analyze,
      },
    );
    expect(silent.traces[0]?.trace.method).toBe('unknown');
  });

  it('keeps output it cannot parse, or a trace it cannot judge, with the reason', () => {
    const fns = { parseTraces, analyze };
    const unparsed = buildResultRecord(agent(), message('nonsense'), '2026-04-01T10:00:01.000Z', fns);
    expect(unparsed).toMatchObject({ output: 'nonsense', traces: [] });
    expect(unparsed.error).toMatch(/^cannot parse the traceroute output: /);
    const unjudged = buildResultRecord(agent(), message(DOMESTIC_OUTPUT), '2026-04-01T10:00:01.000Z', {
      parseTraces,
      analyze: () => {
        throw new Error('database lookup failed');
      },
    });
    expect(unjudged.traces).toEqual([]);
    expect(unjudged.error).toBe('trace 1: cannot judge it: database lookup failed');
  });
});

function collect(): { replies: Map<string, IngestReply[]>; reply: (id: string) => (r: IngestReply) => void } {
  const replies = new Map<string, IngestReply[]>();
  return {
    replies,
    reply: (id) => (r) => replies.set(id, [...(replies.get(id) ?? []), r]),
  };
}

describe('the batching ingest', () => {
  it('writes a full batch at once and answers every result after the write', async () => {
    const ingest = createIngest({
      store,
      parseTraces,
      analyze,
      batchMs: 60_000,
      batchMax: 5,
    });
    const { replies, reply } = collect();
    const ids = Array.from({ length: 5 }, (_, i) => `batch-${i}-abcdef`);
    for (const id of ids.slice(0, 4)) ingest.submit(agent(), message(DOMESTIC_OUTPUT, id), reply(id));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(replies.size).toBe(0);
    expect(ingest.pending()).toBe(4);
    const last = ids[4] ?? '';
    ingest.submit(agent(), message(DOMESTIC_OUTPUT, last), reply(last));
    await expect.poll(() => replies.size).toBe(5);
    expect([...replies.values()].flat()).toEqual(ids.map(() => ({ status: 'stored' })));
    expect(ingest.stats()).toMatchObject({ stored: 5, batches: 1 });
    await ingest.close();
  });

  it('close() writes what is pending, then refuses new results', async () => {
    const ingest = createIngest({ store, parseTraces, analyze, batchMs: 60_000 });
    const { replies, reply } = collect();
    ingest.submit(agent(), message(DOMESTIC_OUTPUT, 'pending-at-close'), reply('pending-at-close'));
    await ingest.close();
    expect(replies.get('pending-at-close')).toEqual([{ status: 'stored' }]);
    ingest.submit(agent(), message(DOMESTIC_OUTPUT, 'after-close-1'), reply('after-close-1'));
    expect(replies.get('after-close-1')?.[0]).toMatchObject({ retryAfterMs: expect.any(Number) });
    expect((await store.counts()).results).toBe(1);
  });

  it('a result whose traces cannot be written is stored raw; the rest of its batch is unaffected', async () => {
    // A trace the store's schema refuses (ip_version must be 4 or 6): written raw, with the reason.
    const poisoned: ParseTraces = (text, format): Trace[] =>
      parseTraces(text, format).map((t) => (text === DETOUR_OUTPUT ? { ...t, ipVersion: 5 as 4 } : t));
    const ingest = createIngest({ store, parseTraces: poisoned, analyze, batchMs: 5 });
    const { replies, reply } = collect();
    ingest.submit(agent(), message(DETOUR_OUTPUT, 'poisoned-0001'), reply('poisoned-0001'));
    ingest.submit(agent(), message(DOMESTIC_OUTPUT, 'healthy-00001'), reply('healthy-00001'));
    await ingest.close();
    expect(replies.get('poisoned-0001')).toEqual([{ status: 'stored' }]);
    expect(replies.get('healthy-00001')).toEqual([{ status: 'stored' }]);
    expect(await store.counts()).toMatchObject({ results: 2, resultsWithErrors: 1, traces: 1 });
  });

  it('when the store fails, every result is answered retry after the long delay (the agent sends it again)', async () => {
    const ingest = createIngest({ store, parseTraces, analyze, batchMs: 5, retry: { failedMs: 45_000 } });
    const { replies, reply } = collect();
    await store.close();
    ingest.submit(agent(), message(DOMESTIC_OUTPUT, 'store-down-01'), reply('store-down-01'));
    await ingest.close();
    expect(replies.get('store-down-01')).toEqual([
      { retryAfterMs: 45_000, reason: expect.stringMatching(/could not store/) },
    ]);
    expect(ingest.stats()).toMatchObject({ failed: 1, busy: 0, stored: 0 });
    store = openSqliteStore({ dataDir: dir, create: false });
  });
  it('a busy store: the whole batch answers retry with a growing delay, nothing split or stripped, no write before the delay', async () => {
    // The real store, with writeResults failing the way better-sqlite3 does while another process holds
    // the write lock, for the first `locked` calls.
    let locked = 2;
    const calls: { at: number; records: number }[] = [];
    const busyStore: Store = Object.create(store, {
      writeResults: {
        value: (records: Parameters<Store['writeResults']>[0]) => {
          calls.push({ at: performance.now(), records: records.length });
          if (locked-- > 0) {
            return Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
          }
          return store.writeResults(records);
        },
      },
    });
    const ingest = createIngest({
      store: busyStore,
      parseTraces,
      analyze,
      batchMs: 5,
      retry: { busyMs: 100, busyCapMs: 150 },
    });
    const { replies, reply } = collect();
    const send = (id: string) => ingest.submit(agent(), message(DETOUR_OUTPUT, id), reply(id));
    send('busy-first-1');
    send('busy-first-2');
    await expect.poll(() => replies.size).toBe(2);
    expect([...replies.values()].flat()).toEqual([
      { retryAfterMs: 100, reason: expect.stringMatching(/busy/) },
      { retryAfterMs: 100, reason: expect.stringMatching(/busy/) },
    ]);
    // Sent again (as the agent does): still locked, so the delay doubles up to its cap.
    send('busy-first-1');
    await expect.poll(() => replies.get('busy-first-1')?.length).toBe(2);
    expect(replies.get('busy-first-1')?.[1]).toMatchObject({ retryAfterMs: 150 });
    send('busy-first-1');
    send('busy-first-2');
    await expect.poll(() => replies.get('busy-first-2')?.length).toBe(2);
    expect(replies.get('busy-first-1')?.[2]).toEqual({ status: 'stored' });
    expect(replies.get('busy-first-2')?.[1]).toEqual({ status: 'stored' });
    // One attempt per batch (never one per record), and none before the previous attempt's delay was over.
    expect(calls.map((c) => c.records)).toEqual([2, 1, 2]);
    const [first = 0, second = 0, third = 0] = calls.map((c) => c.at);
    expect(second - first).toBeGreaterThanOrEqual(99);
    expect(third - second).toBeGreaterThanOrEqual(149);
    // Stored with their traces: a busy store is not a reason to store a result raw.
    expect(await store.counts()).toMatchObject({ results: 2, resultsWithErrors: 0, traces: 2 });
    expect(ingest.stats()).toMatchObject({ busy: 3, stored: 2, failed: 0 });
    await ingest.close();
  });

  it('a lock wrapped by the store as its cause still counts as busy', () => {
    const wrapped = new Error('STORE_FAILED: cannot write', {
      cause: Object.assign(new Error('database is locked'), { code: 'SQLITE_LOCKED_SHAREDCACHE' }),
    });
    expect(isStoreBusy(wrapped)).toBe(true);
    expect(isStoreBusy(Object.assign(new Error('x'), { code: 'SQLITE_BUSY_SNAPSHOT' }))).toBe(true);
    expect(isStoreBusy(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }))).toBe(false);
    expect(isStoreBusy(new TypeError('The database connection is not open'))).toBe(false);
  });
});
