/**
 * `detourwatch store copy`: a SQLite store written through the real write paths (history-fixture.ts) is
 * copied into an empty PostgreSQL database by the real command, which prints the rows of every table on both
 * sides; the PostgreSQL store then answers every read exactly as the SQLite store did, ids included (the
 * agents' random ids too: they are copied, not made again), and goes on from there: new ids follow the old.
 * A database that already holds data is refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../server/store/pg/open.ts';
import { hashToken } from '../../server/store/tokens.ts';
import { resetDatabase } from '../helpers/postgres.ts';
import { runCli } from '../helpers/run-cli.ts';
import { storeEngines, type TestEngine, type TestStore } from '../history/test-store.ts';
import { readEverything, writeHistory } from './history-fixture.ts';

const [sqlite, postgres] = (await storeEngines('store copy from SQLite to PostgreSQL')) as [
  TestEngine,
  TestEngine,
];

describe('store copy', postgres.options, () => {
  let source: TestStore;
  let target: TestStore;
  beforeEach(async () => {
    source = await sqlite.open();
    target = await postgres.open();
  });
  afterEach(async () => {
    await source.cleanup();
    await target.cleanup();
  });

  it('moves everything queryable, verifies the counts, and the copy answers alike', {
    timeout: 120_000,
  }, async () => {
    await writeHistory(source.store);
    const before = await readEverything(source.store);
    const url = target.cliArgs[1] ?? '';
    await target.store.close();
    await resetDatabase(url, { schema: true });

    const run = await runCli(['store', 'copy', '--from', source.cliArgs[1] ?? '', '--to', url]);
    expect(run.stderr).toContain('copying traces: ');
    expect(run.status).toBe(0);
    const counted = new Map(
      run.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((cells) => cells.length === 3 && /^\d+$/.test(cells[1] ?? ''))
        .map(([table, a, b]) => [table, [Number(a), Number(b)]]),
    );
    for (const table of ['tokens', 'agents', 'results', 'traces', 'hops', 'foreign_hops', 'import_keys']) {
      const [a, b] = counted.get(table) ?? [];
      expect({ table, a }).toEqual({ table, a: b });
      expect({ table, rows: (a ?? 0) > 0 }).toEqual({ table, rows: true });
    }
    for (const table of [
      'incidents',
      'incident_traces',
      'baselines',
      'history_state',
      'webhook_deliveries',
    ]) {
      expect(counted.get(table)?.[0]).toBe(await source.count(`SELECT COUNT(*) FROM ${table}`));
    }
    expect(counted.get('hops')?.[0]).toBe(await source.count('SELECT COUNT(*) FROM hops'));

    target.store = await openPostgresStore({ url, create: false });
    expect(await readEverything(target.store)).toEqual(before);
    // The next rows take the next ids.
    const token = await target.store.createToken('after-copy', hashToken('after'), '2026-06-01T00:00:00Z');
    expect(token.id).toBe(Math.max(...(await source.store.listTokens()).map((t) => t.id)) + 1);

    // The commands read and write it with --database, as they do the SQLite store with --data.
    const listed = await runCli(['token', 'list', '--database', url]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain('after-copy');
    const detours = await runCli(['detours', '--database', url, '--via', 'CN', '--limit', '3']);
    expect(detours.status).toBe(0);
    expect(detours.stdout.trim().split('\n')).toHaveLength(4);
    const sqliteDetours = await runCli([
      'detours',
      '--data',
      source.cliArgs[1] ?? '',
      '--via',
      'CN',
      '--limit',
      '3',
    ]);
    expect(detours.stdout).toBe(sqliteDetours.stdout);
    const both = await runCli(['token', 'list', '--data', source.dir, '--database', url]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('give --data DIR (SQLite) or --database URL (PostgreSQL), not both');

    const again = await runCli(['store', 'copy', '--from', source.cliArgs[1] ?? '', '--to', url]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds detourwatch data \(tokens, agents, results, traces/);
  });

  it('names the missing flag, and never prints a password', async () => {
    const missing = await runCli(['store', 'copy', '--from', source.dir]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('store copy needs --to postgres://');
    const url = (target.cliArgs[1] ?? '').replace('postgres@', 'postgres:s3cret@');
    await target.store.close();
    await resetDatabase(url, { schema: true });
    const run = await runCli(['store', 'copy', '--from', source.cliArgs[1] ?? '', '--to', url]);
    expect(run.status).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toContain('s3cret');
    expect(run.stdout).toContain('PostgreSQL at postgres://postgres@127.0.0.1:');
    target.store = await openPostgresStore({ url, create: false });
  });
});
