/**
 * Two processes opening a brand-new data directory at the same moment (an operator's script starting `serve`
 * and `token create` together) must both succeed: the schema is created once, nobody sees "database is locked".
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';

const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../bin/detourwatch.js');

describe('a fresh data directory opened by two processes at once', () => {
  it('creates the schema once and both token creations succeed', { timeout: 60_000 }, async () => {
    for (let round = 0; round < 4; round++) {
      const dir = mkdtempSync(path.join(tmpdir(), 'dw-concurrent-'));
      try {
        const both = await Promise.allSettled(
          ['a', 'b'].map((name) =>
            run(process.execPath, [bin, 'token', 'create', '--name', name, '--data', dir]),
          ),
        );
        for (const outcome of both) {
          if (outcome.status === 'rejected') throw new Error(`round ${round}: ${String(outcome.reason)}`);
        }
        const store = openSqliteStore({ dataDir: dir, create: false });
        try {
          expect((await store.listTokens()).map((t) => t.name).sort()).toEqual(['a', 'b']);
        } finally {
          await store.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
