import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { VerdictKind } from '../../protocol/verdict.ts';
import type { TraceObservation } from '../../server/incidents/types.ts';
import { migrate } from '../../server/store/sqlite/migrate.ts';
import { DATABASE_FILE, openSqliteStore } from '../../server/store/sqlite/open.ts';
import { MIGRATIONS } from '../../server/store/sqlite/schema.ts';
import type { Store } from '../../server/store/store.ts';
import { recordOf } from '../history/trace-records.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 1);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-upgrade-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(dir: string): Store {
  const store = openSqliteStore({ dataDir: dir, create: true });
  cleanups.push(() => store.close());
  return store;
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

/**
 * The rows an older release wrote for a trace (its trace row and one foreign hop per foreign country, for
 * any verdict, as releases before schema version 3 did), straight into a database at that version.
 */
function writeOldRows(db: Database.Database, o: TraceObservation): number {
  const { verdict } = recordOf(o);
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO traces (origin, agent_id, source_ip, destination_ip, tool, method, ip_version, started_at, verdict,
         confidence, home_country, countries, foreign_countries, foreign_asns, extra_km, verdict_json)
       VALUES ('import', NULL, ?, ?, 'scamper', 'icmp-paris', 4, ?, ?, ?, 'US', ?, ?, ?, ?, ?)`,
    )
    .run(
      o.sourceIp,
      o.destinationIp,
      o.startedAt,
      o.verdict,
      o.confidence,
      JSON.stringify(o.pathCountries),
      JSON.stringify(o.foreignCountries),
      JSON.stringify(o.foreignAsns),
      verdict.extraKm,
      JSON.stringify(verdict),
    );
  const id = Number(lastInsertRowid);
  const insertForeign = db.prepare(
    'INSERT INTO foreign_hops (trace_id, ttl, ip, country, asn, confirmed) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (const h of verdict.foreignHops)
    insertForeign.run(id, h.ttl, h.ip, h.country, h.asn, h.confirmed ? 1 : 0);
  return id;
}

describe('schema upgrade for the operators API', () => {
  it('an existing database keeps foreign hops of detours only, and "detours via" still finds them', async () => {
    const dir = dataDir();
    const db = new Database(path.join(dir, DATABASE_FILE));
    migrate(db, MIGRATIONS.slice(0, 2));
    const detour = writeOldRows(db, observation('detour', T0, ['CA']));
    writeOldRows(db, observation('foreign-endpoint', T0 + 1, ['CA', 'DE']));
    const hopsOf = (d: Database.Database) =>
      d.prepare('SELECT trace_id AS traceId, country FROM foreign_hops ORDER BY trace_id, ttl').all();
    expect(hopsOf(db)).toHaveLength(3);
    db.close();

    // Opening it upgrades it.
    const store = open(dir);
    const peek = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    expect(peek.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(hopsOf(peek)).toEqual([{ traceId: detour, country: 'CA' }]);
    peek.close();
    const page = await store.detourPage(
      { since: null, until: null, country: 'CA', asn: null, agent: null, target: null, confidence: null },
      { limit: 10, after: null, now: T0, fingerprint: 'f' },
    );
    expect(page.items.map((d) => d.id)).toEqual([detour]);
  });

  it('stats count each UTC day of a window that starts and ends mid-day', async () => {
    const store = open(dataDir());
    const verdicts: VerdictKind[] = ['domestic', 'detour', 'foreign-endpoint', 'inconclusive'];
    // Every 5 hours for 4 days, cycling the verdicts: days hold different mixes.
    const stored = Array.from({ length: 20 }, (_, i) =>
      observation(verdicts[i % 4] ?? 'domestic', T0 + i * 5 * HOUR, ['CA']),
    );
    expect(await store.writeImported(stored.map(recordOf))).toBe(20);
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
    const report = await store.dailyStats({ since, until }, null, until);
    expect(report.days).toEqual(
      [...expected].map(([day, e]) => ({ day, ...e, confirmed: e.detours, share: e.detours / e.traces })),
    );
    expect(report.days).toHaveLength(4);
  });
});
