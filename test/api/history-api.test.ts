/**
 * Contract tests of the history API on a real coordinator (HTTP on 127.0.0.1, SQLite, the real analysis over
 * the test world): the OpenAPI document against the routing table, every route, bad parameters, cursor
 * pagination while new traces arrive, and the streamed exports parsed back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DetourItem,
  IncidentDetail,
  IncidentItem,
  StatsReport,
  TraceItem,
} from '../../protocol/history-api.ts';
import { createApp } from '../../server/http/app.ts';
import { createAuth } from '../../server/http/auth.ts';
import { storeMapSource } from '../../server/http/map-source.ts';
import { openApiDocument, openApiPath } from '../../server/http/openapi.ts';
import type { MapDataSource } from '../../server/http/routes-map.ts';
import { readCsv } from '../export/rfc4180.ts';
import { detourResult, domesticResult } from '../history/world-results.ts';
import { type HistoryCoordinator, startHistoryCoordinator } from './history-coordinator.ts';

const DAY = 86_400;
/** 2025-10-09T09:46:40Z and the following days, in Unix seconds as Atlas writes them. */
const T = 1_760_003_200;
const HANGZHOU = '192.0.2.65';

let h: HistoryCoordinator;
beforeAll(async () => {
  h = await startHistoryCoordinator();
  const report = await h.importResults([
    domesticResult(T),
    detourResult(T + 600),
    detourResult(T + 1200),
    domesticResult(T + 1800),
    // A day later the detour is back, through another Shanghai-area router of the same AS: a new incident.
    detourResult(T + DAY, { via: HANGZHOU }),
    domesticResult(T + DAY + 600),
  ]);
  expect(report).toMatchObject({ imported: 6, failed: 0 });
});
afterAll(() => h?.close());

type Json = Record<string, unknown>;
/** A page as the API answers it: the list under its name, and the cursor. */
interface Page<T> {
  nextCursor: string | null;
  [list: string]: T[] | string | null;
}
const list = <T>(body: unknown, key: string): T[] => (body as Json)[key] as T[];

describe('the OpenAPI document', () => {
  const doc = openApiDocument() as {
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, Json> };
  };

  /** The API as the coordinator builds it, over the test's store; only the routing table and the map are read. */
  function app(source: MapDataSource) {
    const unused = new Proxy(
      {},
      {
        get() {
          throw new Error('only the routing table and the map are read here');
        },
      },
    ) as never;
    return createApp(
      {
        store: h.store,
        auth: createAuth({ store: h.store, publicRead: true, trustProxy: [] }),
        rateLimits: { read: { ratePerSecond: 1e9, burst: 1e9 }, write: { ratePerSecond: 1e9, burst: 1e9 } },
        hub: unused,
        scheduler: unused,
        ingest: unused,
        exports: h.exports,
        now: Date.now,
        startedAt: Date.now(),
        map: { source, config: { tileUrl: null, tileAttribution: null } },
        events: { store: h.store, feed: unused },
      },
      () => {},
    );
  }

  it('lists exactly the routes of the app, and the app has no API route it does not list', () => {
    const routes = new Set(
      app(storeMapSource(h.store))
        .routes.filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method} ${openApiPath(r.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)),
    );
    const api = [...routes].filter((r) => / \/api\/|\/healthz$/.test(r));
    expect(api.filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !routes.has(r))).toEqual([]);
  });

  it('is served at /api/v1/openapi.json', async () => {
    const { status, body } = await h.get<Json>('/api/v1/openapi.json');
    expect(status).toBe(200);
    expect(body).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('every documented GET route of the history answers with the fields its schema requires', async () => {
    const trace = list<TraceItem>((await h.get('/api/v1/traces?limit=1')).body, 'traces')[0];
    const incident = list<IncidentItem>((await h.get('/api/v1/incidents?limit=1')).body, 'incidents')[0];
    const ids: Record<string, number | undefined> = { traces: trace?.id, incidents: incident?.id };
    const checked: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths)) {
      const op = ops.get as
        | { responses: Record<string, { content?: Record<string, { schema: Json }> }> }
        | undefined;
      const schema = op?.responses['200']?.content?.['application/json']?.schema;
      const ref = typeof schema?.$ref === 'string' ? schema.$ref.split('/').pop() : undefined;
      // The agents' routes need agents, which this history has none of (test/integration/trust-vantage.test.ts);
      // a measurement needs a task (test/api/measurements-route-changes.test.ts).
      if (
        !ref ||
        !p.startsWith('/api/v1/') ||
        p.startsWith('/api/v1/map') ||
        p.startsWith('/api/v1/agents') ||
        p.startsWith('/api/v1/measurements')
      )
        continue;
      const resource = p.split('/')[3] ?? '';
      const url = p.replace('{id}', String(ids[resource]));
      const { status, body } = await h.get<Json>(url);
      expect({ url, status }).toEqual({ url, status: 200 });
      const required = (doc.components.schemas[ref]?.required ?? []) as string[];
      expect(
        required.filter((k) => !(k in body)),
        url,
      ).toEqual([]);
      checked.push(url);
    }
    expect(checked.length).toBeGreaterThanOrEqual(9);
  });

  it("lists the map's routes, its answers carry their schemas' fields, its query is the route's", async () => {
    const mapDoc = doc;
    const api = app(storeMapSource(h.store));
    const mapRoutes = new Set(
      api.routes
        .filter((r) => r.method === 'GET' && r.path.startsWith('/api/v1/map'))
        .map((r) => openApiPath(r.path)),
    );
    const documented = Object.keys(mapDoc.paths).filter((p) => p.startsWith('/api/v1/map'));
    expect(new Set(documented)).toEqual(mapRoutes);
    const served = await (await api.request('/api/v1/openapi.json')).json();
    expect(served).toEqual(JSON.parse(JSON.stringify(mapDoc)));

    const schemaOf = (p: string) => {
      const op = mapDoc.paths[p]?.get as {
        parameters?: { name: string; in: string }[];
        responses: Record<string, { content?: Record<string, { schema: Json }> }>;
      };
      const ref = String(op.responses['200']?.content?.['application/json']?.schema.$ref).split('/').pop();
      return { op, required: (mapDoc.components.schemas[ref ?? '']?.required ?? []) as string[] };
    };
    const missing = (body: unknown, required: string[]) => required.filter((k) => !(k in (body as Json)));
    const page = (await (await api.request('/api/v1/map/detours')).json()) as { items: Json[] };
    expect(missing(page, schemaOf('/api/v1/map/detours').required)).toEqual([]);
    const first = page.items[0];
    expect(missing(first, (mapDoc.components.schemas.MapDetourSummary?.required ?? []) as string[])).toEqual(
      [],
    );
    const detail = await (await api.request(`/api/v1/map/detours/${String(first?.id)}`)).json();
    // The detail is more than a summary: its hop table.
    expect(schemaOf('/api/v1/map/detours/{id}').required).toContain('hops');
    expect(missing(detail, schemaOf('/api/v1/map/detours/{id}').required)).toEqual([]);
    const config = await (await api.request('/api/v1/map/config')).json();
    expect(missing(config, schemaOf('/api/v1/map/config').required)).toEqual([]);

    // Every documented query parameter is one the route reads: nonsense in it is refused, naming it.
    const params = (schemaOf('/api/v1/map/detours').op.parameters ?? []).filter((p) => p.in === 'query');
    expect(params.map((p) => p.name).sort()).toEqual([
      'agent',
      'asn',
      'confidence',
      'country',
      'incident',
      'limit',
      'since',
      'until',
    ]);
    for (const { name } of params) {
      // A control character: agent names may hold spaces, but no field takes this.
      const res = await api.request(`/api/v1/map/detours?${name}=not%07valid`);
      const body = (await res.json()) as { error: { code: string; message: string; parameter: string } };
      expect({
        status: res.status,
        ...body.error,
        message: body.error.message.startsWith(`${name}: `),
      }).toEqual({ status: 400, code: 'BAD_PARAMETER', parameter: name, message: true });
    }
  });
});

describe('parameters', () => {
  const bad: [string, string][] = [
    ['/api/v1/traces?since=yesterday', 'since'],
    ['/api/v1/traces?until=2025-13-01', 'until'],
    ['/api/v1/traces?verdict=maybe', 'verdict'],
    ['/api/v1/traces?origin=elsewhere', 'origin'],
    ['/api/v1/traces?agent=a%20b', 'agent'],
    ['/api/v1/traces?limit=0', 'limit'],
    ['/api/v1/traces?limit=1001', 'limit'],
    ['/api/v1/traces?cursor=garbage', 'cursor'],
    ['/api/v1/traces?country=CN', 'country'],
    ['/api/v1/traces/abc', 'id'],
    ['/api/v1/detours?country=China', 'country'],
    ['/api/v1/detours?asn=AS-1', 'asn'],
    ['/api/v1/detours?confidence=sure', 'confidence'],
    ['/api/v1/detours?target=a%20b', 'target'],
    ['/api/v1/detours?since=2025-10-10&until=2025-10-09', 'until'],
    ['/api/v1/detours?contry=CN', 'contry'],
    ['/api/v1/detours?asn=1&asn=2', 'asn'],
    ['/api/v1/detours/export?format=xml', 'format'],
    ['/api/v1/detours/export?limit=5', 'limit'],
    ['/api/v1/incidents?state=ongoing', 'state'],
    ['/api/v1/incidents?target=example.com', 'target'],
    ['/api/v1/incidents/0', 'id'],
    ['/api/v1/incidents/1/traces?limit=x', 'limit'],
    ['/api/v1/baselines?target=%00', 'target'],
    ['/api/v1/stats?since=1990-01-01', 'since'],
    ['/api/v1/alerts/deliveries?cursor=x', 'cursor'],
  ];
  it.each(bad)('%s is refused with 400 naming %s', async (url, parameter) => {
    const { status, body } = await h.get<{ error: { code: string; message: string; parameter: string } }>(
      url,
    );
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'BAD_PARAMETER', parameter });
    expect(body.error.message.startsWith(`${parameter}: `)).toBe(true);
  });

  it('refuses a cursor reused with other filters', async () => {
    const first = await h.get<Page<TraceItem>>('/api/v1/traces?limit=1&verdict=detour');
    const cursor = first.body.nextCursor;
    expect(cursor).not.toBeNull();
    const reused = await h.get<{ error: { parameter: string; message: string } }>(
      `/api/v1/traces?limit=1&cursor=${cursor}`,
    );
    expect(reused.status).toBe(400);
    expect(reused.body.error.message).toMatch(/other filters/);
  });

  it('answers 404 for ids that do not exist', async () => {
    for (const url of [
      '/api/v1/traces/999999',
      '/api/v1/incidents/999999',
      '/api/v1/incidents/999999/traces',
    ]) {
      const { status, body } = await h.get<{ error: { code: string } }>(url);
      expect({ url, status, code: body.error.code }).toEqual({ url, status: 404, code: 'NOT_FOUND' });
    }
  });
});

/** Follows the cursors of a list to its end. */
async function walk<T extends { id: number }>(
  first: string,
  key: string,
  between?: () => Promise<void>,
): Promise<T[]> {
  const items: T[] = [];
  let url: string | null = first;
  while (url !== null) {
    const res: { status: number; body: Json } = await h.get<Json>(url);
    expect(res.status).toBe(200);
    items.push(...list<T>(res.body, key));
    const next = res.body.nextCursor as string | null;
    url = next === null ? null : `${first}&cursor=${encodeURIComponent(next)}`;
    await between?.();
  }
  return items;
}

describe('lists', () => {
  it('filter detours by foreign country, ASN, time and confidence', async () => {
    const all = list<DetourItem>((await h.get('/api/v1/detours')).body, 'detours');
    expect(all).toHaveLength(3);
    expect(all.every((d) => d.verdict === 'detour' && d.foreignCountries.includes('CN'))).toBe(true);
    expect(all.map((d) => d.id)).toEqual([...all.map((d) => d.id)].sort((a, b) => b - a));
    const firstDay = `since=${new Date(T * 1000).toISOString()}&until=${new Date((T + DAY) * 1000).toISOString()}`;
    expect(list((await h.get(`/api/v1/detours?${firstDay}`)).body, 'detours')).toHaveLength(2);
    expect(list((await h.get('/api/v1/detours?asn=AS4134&country=cn')).body, 'detours')).toHaveLength(3);
    expect(list((await h.get('/api/v1/detours?country=DE')).body, 'detours')).toHaveLength(0);
    expect(list((await h.get('/api/v1/detours?asn=4809')).body, 'detours')).toHaveLength(0);
    const confirmed = list<DetourItem>((await h.get('/api/v1/detours?confidence=confirmed')).body, 'detours');
    expect(confirmed.every((d) => d.confidence === 'confirmed')).toBe(true);
    expect(list((await h.get('/api/v1/detours?target=203.0.113.9')).body, 'detours')).toHaveLength(3);
    expect(all[0]?.foreignHops[0]).toMatchObject({ country: 'CN', asn: 4134, org: 'CHINANET-BACKBONE' });
    expect(all[0]?.sourcePosition).toEqual({ lat: 37.3382, lon: -121.8863 });
  });

  it('pages by id, stable while new traces arrive: no trace twice, none skipped, the new ones not mixed in', async () => {
    const before = list<TraceItem>((await h.get('/api/v1/traces?limit=1000')).body, 'traces').map(
      (t) => t.id,
    );
    let extra = 0;
    const paged = await walk<TraceItem>('/api/v1/traces?limit=2', 'traces', async () => {
      extra++;
      await h.importResults([domesticResult(T + 3 * DAY + extra * 60)]);
    });
    const ids = paged.map((t) => t.id);
    expect(ids).toEqual(before);
    expect(new Set(ids).size).toBe(ids.length);
    const after = list<TraceItem>((await h.get('/api/v1/traces?limit=1000')).body, 'traces');
    expect(after.length).toBe(before.length + extra);
  });

  it('keep a relative window fixed across pages', async () => {
    const paged = await walk<TraceItem>('/api/v1/traces?limit=1&since=5200w', 'traces');
    expect(paged.length).toBeGreaterThan(1);
  });

  it('group the detours into incidents, with their evidence and the pair baselines', async () => {
    const incidents = list<IncidentItem>((await h.get('/api/v1/incidents')).body, 'incidents');
    expect(incidents).toHaveLength(2);
    const [later, earlier] = incidents;
    expect(earlier).toMatchObject({
      state: 'closed',
      subject: 'region:37,-122',
      destinationPrefix: '203.0.113.0/24',
      countries: ['CN'],
      asns: [4134],
      traceCount: 2,
      firstSeen: new Date((T + 600) * 1000).toISOString(),
      lastSeen: new Date((T + 1200) * 1000).toISOString(),
      lastClearAt: new Date((T + 1800) * 1000).toISOString(),
    });
    expect(later?.traceCount).toBe(1);
    const evidence = list<TraceItem>((await h.get(`/api/v1/incidents/${earlier?.id}/traces`)).body, 'traces');
    expect(evidence.map((t) => t.incidentId)).toEqual([earlier?.id, earlier?.id]);
    expect(evidence.every((t) => t.verdict === 'detour')).toBe(true);
    const detail = (await h.get<IncidentDetail>(`/api/v1/incidents/${earlier?.id}`)).body;
    expect(detail.baselines).toHaveLength(1);
    expect(detail.baselines[0]).toMatchObject({
      target: '203.0.113.9',
      normal: { countries: ['US'], asns: [64500, 64501] },
      changed: false,
    });
    expect(list((await h.get('/api/v1/incidents?state=open')).body, 'incidents')).toHaveLength(0);
    expect(
      list((await h.get('/api/v1/incidents?target=203.0.113.200&asn=4134')).body, 'incidents'),
    ).toHaveLength(2);
    expect(list((await h.get('/api/v1/incidents?country=HK')).body, 'incidents')).toHaveLength(0);
  });

  it('count traces, judged traces and detours per UTC day', async () => {
    const since = new Date(T * 1000).toISOString().slice(0, 10);
    const until = new Date((T + 2 * DAY) * 1000).toISOString().slice(0, 10);
    const { body } = await h.get<StatsReport>(`/api/v1/stats?since=${since}&until=${until}`);
    expect(body.days).toEqual([
      { day: since, traces: 4, judged: 4, detours: 2, confirmed: 2, share: 0.5 },
      {
        day: new Date((T + DAY) * 1000).toISOString().slice(0, 10),
        traces: 2,
        judged: 2,
        detours: 1,
        confirmed: 1,
        share: 0.5,
      },
    ]);
  });
});

describe('exports', () => {
  const detourIds = async (query = '') =>
    list<DetourItem>((await h.get(`/api/v1/detours?limit=1000${query}`)).body, 'detours')
      .map((d) => d.id)
      .sort((a, b) => a - b);

  it('CSV reads back with an RFC 4180 reader, one row per detour', async () => {
    const res = await h.get<string>('/api/v1/detours/export?format=csv');
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="detours-.*\.csv"/);
    const [header, ...rows] = readCsv(res.body);
    const id = header?.indexOf('id') ?? -1;
    expect(rows.map((r) => Number(r[id]))).toEqual(await detourIds());
    const orgs = header?.indexOf('foreign_orgs') ?? -1;
    expect(rows.every((r) => r[orgs] === 'CHINANET-BACKBONE')).toBe(true);
  });

  it('NDJSON is one detour per line, as the list answers it', async () => {
    const res = await h.get<string>('/api/v1/detours/export?format=ndjson&country=CN');
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as DetourItem);
    expect(lines.map((d) => d.id)).toEqual(await detourIds('&country=CN'));
    const listed = list<DetourItem>((await h.get('/api/v1/detours?limit=1000')).body, 'detours');
    expect(lines[0]).toEqual(listed.find((d) => d.id === lines[0]?.id));
  });

  it('GeoJSON is a FeatureCollection of paths from the probe through the foreign hops', async () => {
    const res = await h.get<Json>('/api/v1/detours/export?format=geojson');
    expect(res.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    const doc = JSON.parse(res.body as unknown as string) as {
      type: string;
      features: { id: number; geometry: { type: string; coordinates: number[][][] } }[];
    };
    expect(doc.type).toBe('FeatureCollection');
    expect(doc.features.map((f) => f.id)).toEqual(await detourIds());
    const geometry = doc.features[0]?.geometry;
    expect(geometry?.type).toBe('MultiLineString');
    expect(geometry?.coordinates[0]?.[0]).toEqual([-121.8863, 37.3382]);
  });

  it('runs a bounded number of exports at once', async () => {
    const held: (() => void)[] = [];
    for (let release = h.exports.take(); release !== null; release = h.exports.take()) {
      held.push(release);
    }
    expect(held.length).toBeGreaterThan(0);
    const busy = await h.get<{ error: { code: string } }>('/api/v1/detours/export?format=csv');
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('5');
    for (const release of held) release();
    expect((await h.get('/api/v1/detours/export?format=csv')).status).toBe(200);
    // A finished export gives its slot back: as many run again as before.
    let again = 0;
    for (let release = h.exports.take(); release !== null; release = h.exports.take()) {
      held.push(release);
      again++;
    }
    expect(again).toBe(held.length - again);
    for (const release of held.splice(held.length - again)) release();
  });

  it('JSON is an array, and an export with no match is still valid', async () => {
    const res = await h.get<DetourItem[]>('/api/v1/detours/export?format=json&country=DE');
    expect(res.body).toEqual([]);
  });
});
