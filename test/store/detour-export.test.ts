/**
 * The detour export reads in short chunks: it yields every detour stored when it began, in id order, across
 * chunk boundaries (on every engine), and while its consumer stalls it holds no read transaction, so the
 * WAL can be checkpointed to nothing behind it (SQLite's WAL; PostgreSQL holds no transaction either: each
 * chunk is one statement on a pooled connection).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DetourFilter } from '../../server/history/filters.ts';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import { detourObservation, domesticObservation } from '../history/observation.ts';
import { describeEngines, openTestStore, storeEngines, type TestStore } from '../history/test-store.ts';
import { recordOf } from '../history/trace-records.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const all: DetourFilter = {
  since: null,
  until: null,
  country: null,
  asn: null,
  agent: null,
  target: null,
  confidence: null,
};

const engines = await storeEngines('the detour export');

/** `n` traces, every third one domestic, one second apart from `from`. */
async function store(env: { store: TestStore['store'] }, n: number, from: number): Promise<void> {
  const records = Array.from({ length: n }, (_, i) =>
    recordOf(
      i % 3 === 2
        ? domesticObservation({ startedAt: from + i * 1000 })
        : detourObservation({ startedAt: from + i * 1000, foreignCountries: [i % 2 === 0 ? 'CN' : 'RU'] }),
    ),
  );
  await env.store.writeImported(records);
}

describeEngines(engines, (engine) => {
  let env: TestStore;
  beforeEach(async () => {
    env = await engine.open();
  });
  afterEach(() => env.cleanup());

  it('yields every matching detour stored when it began, in id order, across chunks', async () => {
    await store(env, 1800, T0);
    const expected = (
      await env.store.detourPage(all, { limit: 5000, after: null, now: T0, fingerprint: '' })
    ).items.map((d) => d.id);
    expect(expected.length).toBe(1200);

    const ids: number[] = [];
    let wroteMore = false;
    for await (const d of env.store.detourExport(all)) {
      ids.push(d.id);
      // Detours stored while the export runs are not part of it.
      if (!wroteMore) {
        await store(env, 30, T0 + 86_400_000);
        wroteMore = true;
      }
    }
    expect(ids).toEqual([...expected].reverse());

    const viaChina = [];
    for await (const d of env.store.detourExport({ ...all, country: 'CN' })) viaChina.push(d);
    expect(viaChina.length).toBeGreaterThan(500);
    expect(viaChina.every((d) => d.foreignCountries.includes('CN'))).toBe(true);
  });
});

describe('the detour export on SQLite', () => {
  let env: ReturnType<typeof openTestStore>;
  beforeEach(() => {
    env = openTestStore();
  });
  afterEach(() => env.cleanup());

  it('holds no read transaction while its consumer stalls: the WAL checkpoints past it', async () => {
    await store(env, 1200, T0);
    const exporting = env.store.detourExport(all)[Symbol.asyncIterator]();
    expect((await exporting.next()).done).toBe(false);
    // The download stalls here, mid-chunk. Writes go on, and another connection checkpoints everything.
    await store(env, 300, T0 + 86_400_000);
    const other = new Database(path.join(env.dir, DATABASE_FILE));
    try {
      other.pragma('busy_timeout = 200');
      const [result] = other.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
      expect(result).toEqual(expect.objectContaining({ busy: 0, log: 0 }));
    } finally {
      other.close();
    }
    let rest = 0;
    for (let next = await exporting.next(); !next.done; next = await exporting.next()) rest++;
    expect(rest + 1).toBe(800);
  });
});
