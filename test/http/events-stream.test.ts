/**
 * GET /api/v1/events over a real socket, on a real store of each engine: a client reads some events,
 * disconnects, more traces are stored, and reconnecting with Last-Event-ID (or ?after=) it gets exactly the
 * missed ones, in order, once, then the live ones; a client asking for events retention deleted is told so;
 * `types` filters and is validated. Two feeds on one PostgreSQL store stand for two coordinators.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  EVENTS_API,
  EVENTS_LOST_EVENT,
  type EventsLost,
  HELLO_EVENT,
  type StreamEvent,
  TRACE_STORED,
  type TraceStoredData,
} from '../../protocol/events-api.ts';
import type { DetourSummary } from '../../protocol/map-api.ts';
import { answerErrors } from '../../server/http/error-response.ts';
import { encodeEvents } from '../../server/http/event-encoding.ts';
import { type EventFeed, eventFeed } from '../../server/http/event-feed.ts';
import { eventRoutes } from '../../server/http/routes-events.ts';
import { openPostgresStore } from '../../server/store/pg/open.ts';
import type { Store } from '../../server/store/store.ts';
import { detourObservation, domesticObservation } from '../history/observation.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';
import { recordOf } from '../history/trace-records.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const engines = await storeEngines('GET /api/v1/events');

interface Message {
  id: string | null;
  event: string;
  data: string;
}

/** An SSE client on fetch: the messages as they arrive, parsed as the EventSource spec reads them. */
function sseClient(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const messages: Message[] = [];
  let status = 0;
  let ended = false;
  const done = (async () => {
    const res = await fetch(url, { headers, signal: controller.signal });
    status = res.status;
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      text += decoder.decode(value, { stream: true });
      for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const m: Message = { id: null, event: 'message', data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'id') m.id = value;
          else if (field === 'event') m.event = value;
          else if (field === 'data') {
            m.data = hasData ? `${m.data}\n${value}` : value;
            hasData = true;
          }
        }
        if (hasData) messages.push(m);
      }
    }
  })()
    .catch(() => {})
    .finally(() => {
      ended = true;
    });
  return {
    messages,
    get status() {
      return status;
    },
    get ended() {
      return ended;
    },
    stored: () => messages.filter((m) => m.id !== null && m.event !== HELLO_EVENT),
    async close() {
      controller.abort();
      await done;
    },
  };
}

/** What a fetched detour summary would be: the test's stand-in for the map's source (only its id matters). */
const detourOf = async (traceId: number): Promise<DetourSummary | null> =>
  ({ id: traceId }) as unknown as DetourSummary;

async function serve(store: Store, feed: EventFeed): Promise<{ url: string; close(): Promise<void> }> {
  const app = new Hono();
  app.route('/', eventRoutes({ store, feed }));
  const server = createAdaptorServer({ fetch: answerErrors(app, () => {}).fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${EVENTS_API.stream}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

describeEngines(engines, (engine) => {
  let env: TestStore;
  let feed: EventFeed;
  let api: { url: string; close(): Promise<void> };
  let n = 0;
  const store = (count: number, detour = true) =>
    env.store.writeImported(
      Array.from({ length: count }, () =>
        recordOf(
          (detour ? detourObservation : domesticObservation)({ agentId: null, startedAt: T0 + ++n * 1000 }),
        ),
      ),
    );
  const committedSeqs = async (): Promise<string[]> =>
    (await env.query<{ seq: number }>('SELECT seq FROM events ORDER BY seq')).map((r) => String(r.seq));

  beforeEach(async () => {
    env = await engine.open();
    feed = eventFeed(env.store, { encode: (events) => encodeEvents(events, detourOf), pollMs: 50 });
    api = await serve(env.store, feed);
  });
  afterEach(async () => {
    await api.close();
    await feed.close();
    await env.cleanup();
  });

  it('a client that reconnects with Last-Event-ID gets exactly what was stored meanwhile, in order, once', async () => {
    await store(3);
    const first = sseClient(`${api.url}?after=0`);
    await expect.poll(() => first.stored().length, { timeout: 5000 }).toBe(3);
    await store(2);
    await expect.poll(() => first.stored().length, { timeout: 5000 }).toBe(5);
    const lastSeen = first.stored()[4]?.id ?? '';
    await first.close();

    // Stored while nobody listened: a few single writes and one batch.
    await store(1);
    await store(1, false);
    await store(4);
    const second = sseClient(api.url, { 'Last-Event-ID': lastSeen });
    await expect.poll(() => second.stored().length, { timeout: 5000 }).toBe(6);
    // And live after the replay.
    await store(2);
    await expect.poll(() => second.stored().length, { timeout: 5000 }).toBe(8);
    await second.close();

    const all = await committedSeqs();
    expect(all).toHaveLength(13);
    expect(first.stored().map((m) => m.id)).toEqual(all.slice(0, 5));
    expect(second.stored().map((m) => m.id)).toEqual(all.slice(5));
    const hello = JSON.parse(second.messages[0]?.data ?? '{}');
    expect(second.messages[0]?.event).toBe(HELLO_EVENT);
    expect(hello.after).toBe(Number(lastSeen));
    expect(second.messages[0]?.id).toBe(lastSeen);
    for (const m of second.stored()) {
      expect(m.event).toBe(TRACE_STORED);
      const event = JSON.parse(m.data) as StreamEvent;
      expect(String(event.seq)).toBe(m.id);
      const data = event.data as TraceStoredData;
      // A detour carries what the map draws; the domestic trace carries none.
      expect(data.detour ?? null).toEqual(data.verdict === 'detour' ? { id: data.traceId } : null);
    }
    expect(second.stored().filter((m) => JSON.parse(m.data).data.verdict === 'domestic')).toHaveLength(1);
  });

  it('without Last-Event-ID or after, a client gets only what is stored from then on', async () => {
    await store(2);
    const client = sseClient(api.url);
    await expect.poll(() => client.messages.length, { timeout: 5000 }).toBe(1);
    await store(1);
    await expect.poll(() => client.stored().length, { timeout: 5000 }).toBe(1);
    await client.close();
    expect(client.stored().map((m) => m.id)).toEqual((await committedSeqs()).slice(2));
  });

  it('a Last-Event-ID above any stored seq (another database) starts from now instead of waiting', async () => {
    await store(2);
    const newest = Number((await committedSeqs()).at(-1));
    const client = sseClient(api.url, { 'Last-Event-ID': String(newest + 1000) });
    await expect.poll(() => client.messages.length, { timeout: 5000 }).toBe(1);
    expect(JSON.parse(client.messages[0]?.data ?? '{}').after).toBe(newest);
    await store(1);
    await expect.poll(() => client.stored().length, { timeout: 5000 }).toBe(1);
    await client.close();
    expect(client.stored().map((m) => m.id)).toEqual((await committedSeqs()).slice(2));
  });

  it('filters by type, and refuses a type it does not know, naming it', async () => {
    await store(1);
    await env.store.appendEvents([{ type: 'placement.changed', at: T0, data: { router: '192.0.2.1' } }]);
    const client = sseClient(`${api.url}?after=0&types=placement.changed`);
    await expect.poll(() => client.stored().length, { timeout: 5000 }).toBe(1);
    await client.close();
    expect(client.stored()[0]?.event).toBe('placement.changed');
    expect(JSON.parse(client.stored()[0]?.data ?? '{}').data).toEqual({ router: '192.0.2.1' });

    const bad = await fetch(`${api.url}?types=trace.stored,trace.deleted`);
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; parameter: string; message: string } };
    expect(body.error.parameter).toBe('types');
    expect(body.error.message).toContain('trace.deleted');
    expect((await fetch(api.url, { headers: { 'Last-Event-ID': 'x1' } })).status).toBe(400);
    // Only decimal digits are a sequence number: Number() would read these as 1000, 16 and 2.
    for (const after of ['1e3', '0x10', '2.0', '-1']) {
      const refused = await fetch(`${api.url}?after=${encodeURIComponent(after)}`);
      expect(refused.status, after).toBe(400);
      expect(((await refused.json()) as { error: { parameter: string } }).error.parameter).toBe('after');
    }
  });

  it('tells a client that asks for events retention deleted what it lost, then goes on', async () => {
    await store(4);
    const seqs = (await committedSeqs()).map(Number);
    expect(await env.store.pruneEvents({ before: Date.now() + 60_000, keep: 1 })).toBe(3);
    const client = sseClient(`${api.url}?after=${seqs[0]}`);
    await expect.poll(() => client.stored().length, { timeout: 5000 }).toBe(1);
    await client.close();
    const lost = client.messages.find((m) => m.event === EVENTS_LOST_EVENT);
    const data = JSON.parse(lost?.data ?? '{}') as EventsLost;
    expect(data).toMatchObject({ after: seqs[0], prunedThrough: seqs[2] });
    expect(data.reason).toMatch(/deleted by retention/);
    expect(client.stored().map((m) => Number(m.id))).toEqual([seqs[3]]);
  });

  // Two coordinators share a store only on PostgreSQL.
  if (engine.name !== 'PostgreSQL') return;
  it('a second coordinator (its own feed and server on one PostgreSQL) serves the same stream', async () => {
    const other = await openPostgresStore({ url: env.cliArgs[1] ?? '', create: false });
    const otherFeed = eventFeed(other, {
      encode: (events) => encodeEvents(events, detourOf),
      pollMs: 60_000,
    });
    const otherApi = await serve(other, otherFeed);
    try {
      const client = sseClient(`${otherApi.url}?after=0`);
      await expect.poll(() => client.messages.length, { timeout: 5000 }).toBe(1);
      // Written through the first store; the second coordinator polls once a minute, so NOTIFY woke it.
      await store(2);
      await expect.poll(() => client.stored().length, { timeout: 5000 }).toBe(2);
      await client.close();
      expect(client.stored().map((m) => m.id)).toEqual(await committedSeqs());
    } finally {
      await otherApi.close();
      await otherFeed.close();
      await other.close();
    }
  });
});
