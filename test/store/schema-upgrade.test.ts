import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { VerdictKind } from '../../protocol/verdict.ts';
import { createHistoryQueries } from '../../server/history/queries.ts';
import type { TraceObservation } from '../../server/incidents/types.ts';
import { migrate } from '../../server/store/sqlite-migrate.ts';
import { MIGRATIONS } from '../../server/store/sqlite-schema.ts';
import { storeObserved } from '../history/trace-rows.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 1);

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function database(version: number): Database.Database {
  const db = new Database(':memory:');
  open.push(db);
  migrate(db, MIGRATIONS.slice(0, version));
  return db;
}

function observation(verdict: VerdictKind, startedAt: number, countries: string[] = []): TraceObservation {
  return {
    traceId: 0,
    agentId: null,
    sourcePosition: null,
    sourceIp: '192.0.2.1',
    destinationIp: '192.0.2.9',
    startedAt,
    verdict,
    confidence: verdict === 'detour' ? 'confirmed' : null,
    foreignCountries: countries,
    foreignAsns: countries.map((_, i) => 4134 + i),
    pathCountries: ['US', ...countries],
    pathAsns: null,
  };
}

describe('schema upgrade for the operators API', () => {
  it('an existing database keeps foreign hops of detours only, and "detours via" still finds them', () => {
    const db = database(2);
    const detour = storeObserved(db, observation('detour', T0, ['CA']));
    storeObserved(db, observation('foreign-endpoint', T0 + 1, ['CA', 'DE']));
    const hopsOf = () =>
      db.prepare('SELECT trace_id AS traceId, country FROM foreign_hops ORDER BY trace_id, ttl').all();
    expect(hopsOf()).toHaveLength(3);

    expect(migrate(db, MIGRATIONS)).toEqual({ from: 2, to: MIGRATIONS.length });

    expect(hopsOf()).toEqual([{ traceId: detour.traceId, country: 'CA' }]);
    const page = createHistoryQueries(db).detours(
      { since: null, until: null, country: 'CA', asn: null, agent: null, target: null, confidence: null },
      { limit: 10, after: null, now: T0, fingerprint: 'f' },
    );
    expect(page.items.map((d) => d.id)).toEqual([detour.traceId]);
  });

  it('stats count each UTC day of a window that starts and ends mid-day', () => {
    const db = database(MIGRATIONS.length);
    const verdicts: VerdictKind[] = ['domestic', 'detour', 'foreign-endpoint', 'inconclusive'];
    // Every 5 hours for 4 days, cycling the verdicts: days hold different mixes.
    const stored = Array.from({ length: 20 }, (_, i) =>
      storeObserved(db, observation(verdicts[i % 4] ?? 'domestic', T0 + i * 5 * HOUR, ['CA'])),
    );
    const since = T0 + 7 * HOUR;
    const until = T0 + 3 * DAY + 6 * HOUR;
    const expected = new Map<string, { traces: number; judged: number; detours: number }>();
    for (const o of stored.filter((s) => s.startedAt >= since && s.startedAt < until)) {
      const day = new Date(o.startedAt).toISOString().slice(0, 10);
      const e = expected.get(day) ?? { traces: 0, judged: 0, detours: 0 };
      e.traces += 1;
      if (o.verdict === 'domestic' || o.verdict === 'detour') e.judged += 1;
      if (o.verdict === 'detour') e.detours += 1;
      expected.set(day, e);
    }
    const report = createHistoryQueries(db).stats({ since, until }, null, until);
    expect(report.days).toEqual(
      [...expected].map(([day, e]) => ({ day, ...e, confirmed: e.detours, share: e.detours / e.traces })),
    );
    expect(report.days).toHaveLength(4);
  });
});
