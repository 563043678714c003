/**
 * What only the PostgreSQL engine has: its migrations (schema_migrations, an advisory lock against two
 * coordinators migrating at once), its monthly partitions created on demand, the locks that keep two
 * coordinators' folds from creating one incident twice, retention that drops a month whole, and a URL whose
 * password is never shown. What both engines do alike is the conformance suite.
 */
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { createIncidentFold } from '../../server/incidents/fold.ts';
import { startIncidentTracker } from '../../server/incidents/tracker.ts';

/** Corroboration off: this is about two coordinators raising one opening once, not about witnesses. */
const AT_ONCE = createIncidentFold({ corroboration: 1, maxWitnessesPerOwner: 2 });

import type { IncidentEvent } from '../../server/incidents/types.ts';
import { isStoreBusy } from '../../server/ingest/store-busy.ts';
import { openStore } from '../../server/store/open-store.ts';
import { parseDatabaseUrl, redactedUrl } from '../../server/store/pg/database-url.ts';
import { openPostgresStore } from '../../server/store/pg/open.ts';
import { MIGRATIONS } from '../../server/store/pg/schema.ts';
import { writeFailure } from '../../server/store/pg/transaction.ts';
import type { Store } from '../../server/store/store.ts';
import { resetDatabase } from '../helpers/postgres.ts';
import { detourObservation } from '../history/observation.ts';
import { storeEngines, type TestStore } from '../history/test-store.ts';
import { recordOf } from '../history/trace-records.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const [, postgres] = await storeEngines('migrations, partitions, locks and retention');
if (!postgres) throw new Error('no PostgreSQL engine entry');

describe('database URLs', () => {
  it('accepts postgres:// and postgresql:// URLs and refuses others, naming the form', () => {
    expect(parseDatabaseUrl(' postgres://dw@db.example:5432/detourwatch ')).toBe(
      'postgres://dw@db.example:5432/detourwatch',
    );
    expect(parseDatabaseUrl('postgresql://dw@10.0.0.5/dw?sslmode=require')).toContain('sslmode=require');
    for (const bad of ['mysql://dw@db/dw', 'not a url', '/var/lib/detourwatch', 'postgres:///dw']) {
      expect(() => parseDatabaseUrl(bad)).toThrow(/postgres:\/\/USER@HOST:PORT\/DATABASE/);
    }
  });

  it('never shows a password, in the user part or as a parameter, even in a refusal', () => {
    expect(redactedUrl('postgres://dw:s3cret@db.example:5432/dw')).toBe('postgres://dw@db.example:5432/dw');
    expect(redactedUrl('postgres://dw@db.example/dw?password=s3cret&sslmode=require')).not.toContain(
      's3cret',
    );
    expect(redactedUrl('dw:s3cret@db.example/dw')).not.toContain('s3cret');
    let message = '';
    try {
      parseDatabaseUrl('mysql://dw:s3cret@db.example/dw');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('mysql://dw@db.example/dw');
    expect(message).not.toContain('s3cret');
  });

  it('a busy server is STORE_BUSY to the ingest (answered `retry`); a bad row is not', () => {
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const busy = writeFailure(deadlock, '1 result');
    expect(busy).toBeInstanceOf(DetourwatchError);
    expect(isStoreBusy(busy)).toBe(true);
    const foreignKey = Object.assign(new Error('violates foreign key constraint'), { code: '23503' });
    expect(isStoreBusy(writeFailure(foreignKey, '1 result'))).toBe(false);
    expect(isStoreBusy(writeFailure(new Error('Connection terminated unexpectedly'), '1 result'))).toBe(true);
  });
});

describe('the PostgreSQL engine', postgres.options, () => {
  let env: TestStore;
  /** The test's database URL, from the store's own view of it (cliArgs: ['--database', url]). */
  let url: string;
  const extra: Store[] = [];
  beforeEach(async () => {
    env = await postgres.open();
    url = env.cliArgs[1] ?? '';
  });
  afterEach(async () => {
    for (const s of extra.splice(0)) await s.close();
    await env.cleanup();
  });

  it('migrates a fresh database once, recording each step; reopening migrates nothing', async () => {
    const steps = await env.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(steps.map((s) => s.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    await env.reopen();
    expect(await env.count('SELECT COUNT(*) FROM schema_migrations')).toBe(MIGRATIONS.length);
  });

  it('coordinators starting together on an empty database migrate it once, all of them succeeding', async () => {
    await env.store.close();
    await resetDatabase(url, { schema: true });
    const opened = await Promise.all(
      Array.from({ length: 4 }, () => openPostgresStore({ url, create: true })),
    );
    extra.push(...opened);
    env.store = await openPostgresStore({ url, create: false });
    expect(await env.count('SELECT COUNT(*) FROM schema_migrations')).toBe(MIGRATIONS.length);
    await Promise.all(opened.map((s, i) => s.createToken(`t${i}`, `hash${i}`, '2026-01-01T00:00:00Z')));
    expect((await env.store.listTokens()).map((t) => t.name).sort()).toEqual(['t0', 't1', 't2', 't3']);
  });

  it('refuses a database written by a newer release, and one without the schema when not creating', async () => {
    await env.query('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)', [
      MIGRATIONS.length + 1,
    ]);
    await expect(openPostgresStore({ url, create: true })).rejects.toThrow(/newer release/);
    await env.store.close();
    await resetDatabase(url, { schema: true });
    await expect(openStore({ dataDir: '/nonexistent', database: url, create: false })).rejects.toThrow(
      /no detourwatch schema in the database postgres:\/\//,
    );
    expect(await env.count("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")).toBe(0);
    env.store = await openPostgresStore({ url, create: true });
  });

  it('shows where the data lives without the password, and keeps it out of connection errors', async () => {
    const withPassword = url.replace('postgres@', 'postgres:s3cret@');
    const store = await openStore({ dataDir: '/nonexistent', database: withPassword, create: false });
    extra.push(store);
    expect(store.description).toMatch(/^PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/dw_test_/);
    expect(store.description).not.toContain('s3cret');
    const nowhere = new URL(withPassword);
    nowhere.port = '1';
    const failed = await openStore({ dataDir: '', database: nowhere.toString(), create: true }).catch(
      (e) => e,
    );
    expect(failed).toBeInstanceOf(DetourwatchError);
    expect((failed as Error).message).toContain(
      'cannot connect to PostgreSQL at postgres://postgres@127.0.0.1:1/',
    );
    expect((failed as Error).message).not.toContain('s3cret');
  });

  it('creates a month partition on demand, once, however many writers need it at the same moment', async () => {
    const other = await openPostgresStore({ url, create: true });
    extra.push(other);
    const july2019 = Date.parse('2019-07-15T00:00:00Z');
    const batch = (n: number) =>
      Array.from({ length: 5 }, (_, i) =>
        recordOf(detourObservation({ startedAt: july2019 + n * HOUR + i })),
      );
    const stored = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((n) => (n % 2 === 0 ? env.store : other).writeImported(batch(n))),
    );
    expect(stored).toEqual([5, 5, 5, 5, 5, 5]);
    const partitions = await env.query<{ relname: string }>(
      "SELECT relname FROM pg_class WHERE relname LIKE '%_2019_07' ORDER BY relname",
    );
    // hops has no July partition: these imports have no hop rows.
    expect(partitions.map((p) => p.relname)).toEqual(['traces_2019_07']);
    expect(await env.count('SELECT COUNT(*) FROM traces_2019_07')).toBe(30);
  });

  it('two coordinators folding detours of one cause at once open one incident, raised once', async () => {
    const other = await openPostgresStore({ url, create: true });
    extra.push(other);
    const T0 = Date.parse('2026-03-01T00:00:00Z');
    const raised: IncidentEvent[] = [];
    for (const store of [env.store, other]) {
      await startIncidentTracker({
        store,
        fold: AT_ONCE,
        quietMs: 2 * HOUR,
        now: () => T0 + HOUR,
        raise: (e) => raised.push(...e),
      });
    }
    const writes = Array.from({ length: 8 }, (_, n) =>
      (n % 2 === 0 ? env.store : other).writeImported([
        recordOf(detourObservation({ startedAt: T0 + n * 60_000 })),
      ]),
    );
    expect(await Promise.all(writes)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const page = { limit: 10, after: null, now: T0, fingerprint: '' };
    const incidents = (
      await env.store.incidentPage(
        { since: null, until: null, state: null, agent: null, country: null, asn: null, target: null },
        page,
      )
    ).items;
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.traceCount).toBe(8);
    expect(raised.filter((e) => e.kind === 'incident.opened')).toHaveLength(1);
    const baselines = (await env.store.baselinePage({ agent: null, target: null }, page)).items;
    expect(baselines).toHaveLength(1);
  });

  it('retention drops months of hops whole; a late trace of a dropped month is stored without hops', async () => {
    const token = await env.store.createToken('t', 'h', '2026-01-01T00:00:00Z');
    const agent = await env.store.recordHello({
      tokenId: token.id,
      name: 'a',
      location: { lat: 47.6, lon: -122.3 },
      engines: ['traceroute'],
      limits: { maxConcurrent: 1, maxPerMinute: 1 },
      agentVersion: '0',
      protocolVersion: 1,
      address: null,
      at: '2026-01-01T00:00:00Z',
    });
    const withHops = (at: number) => {
      const r = recordOf(detourObservation({ startedAt: at, agentId: agent.id }));
      r.trace.hops = [{ ttl: 1, replies: [{ address: '192.0.2.1', rttMs: 1 }] }];
      return r;
    };
    const jan = Date.parse('2026-01-10T00:00:00Z');
    const mar = Date.parse('2026-03-10T00:00:00Z');
    expect(await env.store.writeImported([withHops(jan), withHops(jan + DAY), withHops(mar)])).toBe(3);
    expect(await env.count('SELECT COUNT(*) FROM hops')).toBe(3);
    // The cutoff in February: January is wholly before it (dropped), March after it (kept).
    const done = await env.store.purgeRawData(Date.parse('2026-02-20T00:00:00Z'), 100, mar);
    expect(done).toMatchObject({ traces: 2, hops: 2 });
    expect(await env.count("SELECT COUNT(*) FROM pg_class WHERE relname = 'hops_2026_01'")).toBe(0);
    expect(await env.count('SELECT COUNT(*) FROM hops')).toBe(1);
    // No row was deleted or updated: the January traces read as purged all the same.
    expect(await env.count('SELECT COUNT(*) FROM traces WHERE hops_purged_at IS NOT NULL')).toBe(0);
    expect(await env.store.traceDetail(1)).toMatchObject({ hopsPurged: true, hops: [] });
    expect(await env.store.traceDetail(3)).toMatchObject({ hopsPurged: false, hops: [{ ttl: 1 }] });
    // A January trace arriving now is past retention already: its verdict is kept, its hops are not.
    expect(await env.store.writeImported([withHops(jan + 2 * DAY)])).toBe(1);
    expect(await env.store.traceDetail(4)).toMatchObject({ hopsPurged: true, hops: [] });
    expect(await env.count("SELECT COUNT(*) FROM pg_class WHERE relname = 'hops_2026_01'")).toBe(0);
    expect(await env.store.purgeRawData(Date.parse('2026-02-20T00:00:00Z'), 100, mar)).toEqual({
      traces: 0,
      hops: 0,
      outputs: 0,
    });
  });

  it('a trace of a month another coordinator dropped meanwhile is written again, without hops', async () => {
    const other = await openPostgresStore({ url, create: true });
    extra.push(other);
    const jan = Date.parse('2026-01-10T00:00:00Z');
    const r = () => {
      const x = recordOf(detourObservation({ startedAt: jan }));
      x.trace.hops = [{ ttl: 1, replies: [{ address: '192.0.2.1', rttMs: 1 }] }];
      return x;
    };
    expect(await env.store.writeImported([r()])).toBe(1);
    // `other` drops January; this store still believes the partition is there.
    await other.purgeRawData(Date.parse('2026-02-20T00:00:00Z'), 100, Date.now());
    expect(await env.store.writeImported([r()])).toBe(1);
    // (The first attempt took an id from the sequence before it failed: ids may have gaps on PostgreSQL.)
    expect(await env.store.traceDetail(await env.store.lastTraceId())).toMatchObject({
      hopsPurged: true,
      hops: [],
    });
  });

  it('a dedicated connection for LISTEN/NOTIFY, beside the pool', async () => {
    const store = env.store as Store & { dedicatedClient(): Promise<pg.Client>; pool: pg.Pool };
    const listener = await store.dedicatedClient();
    try {
      await listener.query('LISTEN dw_test');
      const heard = new Promise<string | undefined>((resolve) =>
        listener.on('notification', (n) => resolve(n.payload)),
      );
      await store.pool.query("SELECT pg_notify('dw_test', 'hello')");
      expect(await heard).toBe('hello');
    } finally {
      await listener.end();
    }
  });
});
