import { describe, expect, it } from 'vitest';
import type { DetourPage, Timeline } from '../../protocol/map-api.ts';
import { answerErrors } from '../../server/http/error-response.ts';
import { MAX_PAGE_LIMIT, mapRoutes, parseDetourQuery } from '../../server/http/routes-map.ts';
import { readRoutePage } from '../../web/src/api-guards.ts';
import { hostileCountryLevel, laHangzhouDc, nyFrankfurtChicago } from './map-fixtures.ts';
import { memorySource } from './memory-source.ts';

const detours = [
  laHangzhouDc(1, '2026-03-01T10:00:00.000Z'),
  nyFrankfurtChicago(2, '2026-03-01T11:00:00.000Z'),
  hostileCountryLevel(3, '2026-03-01T12:00:00.000Z'),
];
const config = { tileUrl: null, tileAttribution: null };

describe('parseDetourQuery', () => {
  it('reads the filters and caps the limit', () => {
    const q = parseDetourQuery(new URLSearchParams(`country=cn&asn=4134&limit=${MAX_PAGE_LIMIT * 10}`));
    expect(q).toEqual({ country: 'CN', asn: 4134, limit: MAX_PAGE_LIMIT });
  });

  it.each(['country=China', 'asn=x', 'confidence=sure', 'since=later', 'limit=0', 'limit=2.5'])(
    'refuses ?%s, naming the field',
    (query) => {
      const field = query.split('=')[0] as string;
      expect(() => parseDetourQuery(new URLSearchParams(query))).toThrow(new RegExp(field));
    },
  );
});

describe('map routes', () => {
  const source = memorySource(detours);
  // Errors answered as the coordinator's app answers them.
  const logged: string[] = [];
  const app = answerErrors(mapRoutes({ source, config }), (line) => logged.push(line));

  it('serves the configuration', async () => {
    const res = await app.request('/api/v1/map/config');
    expect(await res.json()).toEqual({
      ...config,
      homeCountries: ['US', 'PR', 'GU', 'VI', 'AS', 'MP', 'UM'],
    });
    const de = answerErrors(mapRoutes({ source, config: { ...config, homeCountries: ['DE'] } }), () => {});
    expect(await (await de.request('/api/v1/map/config')).json()).toMatchObject({ homeCountries: ['DE'] });
  });

  it('groups detours that took the same route, with their count and ids, newest first', async () => {
    const again = laHangzhouDc(4, '2026-03-02T09:00:00.000Z');
    const grouped = answerErrors(mapRoutes({ source: memorySource([...detours, again]), config }), () => {});
    const page = readRoutePage(await (await grouped.request('/api/v1/map/routes')).json()).page;
    expect(page.total).toBe(4);
    expect(page.routes.map((r) => r.count)).toEqual([2, 1, 1]);
    expect(page.routes[0]).toMatchObject({
      ids: [4, 1],
      firstSeen: detours[0]?.startedAt,
      lastSeen: again.startedAt,
      latest: { id: 4 },
    });
    const de = readRoutePage(await (await grouped.request('/api/v1/map/routes?country=DE')).json()).page;
    expect(de.routes.map((r) => r.ids)).toEqual([[2]]);
  });

  it('counts detours per bucket by foreign country, and refuses an unknown bucket', async () => {
    const day = (await (await app.request('/api/v1/map/timeline?bucket=day')).json()) as Timeline;
    expect(day).toEqual({
      bucket: 'day',
      bins: [{ start: '2026-03-01T00:00:00.000Z', byCountry: { CN: 1, DE: 1, JP: 1 }, total: 3 }],
    });
    const hours = (await (await app.request('/api/v1/map/timeline?bucket=hour')).json()) as Timeline;
    expect(hours.bins.map((b) => b.start)).toEqual(detours.map((d) => d.startedAt));
    const bad = await app.request('/api/v1/map/timeline?bucket=week');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_PARAMETER', parameter: 'bucket' } });
    const badIncident = await app.request('/api/v1/map/routes?incident=x');
    expect(await badIncident.json()).toMatchObject({ error: { parameter: 'incident' } });
  });

  it('lists summaries newest first with the total, filtered', async () => {
    const all = (await (await app.request('/api/v1/map/detours')).json()) as DetourPage;
    expect(all.items.map((d) => d.id)).toEqual([...detours].reverse().map((d) => d.id));
    expect(all.items[0]).not.toHaveProperty('hops');
    expect(all.total).toBe(detours.length);

    const cn = (await (await app.request('/api/v1/map/detours?country=CN&limit=1')).json()) as DetourPage;
    const withCn = detours.filter((d) => d.countries.includes('CN'));
    expect(cn.items.map((d) => d.id)).toEqual(withCn.slice(0, 1).map((d) => d.id));
    expect(cn.total).toBe(withCn.length);
  });

  it('answers a bad query with 400 and a message naming the field', async () => {
    const res = await app.request('/api/v1/map/detours?confidence=sure');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; parameter: string } };
    expect(body.error).toMatchObject({ code: 'BAD_PARAMETER', parameter: 'confidence' });
    expect(body.error.message).toMatch(/^confidence: /);
  });

  it('serves one detour with its hop table, 404 for an unknown id, 400 for a bad one', async () => {
    const one = await app.request(`/api/v1/map/detours/${detours[1]?.id}`);
    expect(await one.json()).toEqual(detours[1]);
    const missing = await app.request('/api/v1/map/detours/999');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no detour with id 999' } });
    const bad = await app.request('/api/v1/map/detours/abc');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_PARAMETER', parameter: 'id' } });
    expect(logged).toEqual([]);
  });
});
