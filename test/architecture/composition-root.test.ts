/**
 * One composition root: server/coordinator.ts is the only module that assembles a coordinator (creates the
 * agents' hub and the HTTP app). `serve`, the benchmarks and the test harnesses call it with options.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(rel);
    return /\.ts$/.test(entry.name) ? [rel] : [];
  });
}

const files = ['server', 'cli', 'bench', 'test'].flatMap(sourceFiles);
const calling = (call: RegExp) =>
  files
    .filter((f) => call.test(readFileSync(path.join(ROOT, f), 'utf8')))
    .map((f) => f.split(path.sep).join('/'));

describe('the composition root', () => {
  it('is the only place that creates the hub', () => {
    expect(calling(/\bcreateHub\(/).filter((f) => f !== 'server/hub/hub.ts')).toEqual([
      'server/coordinator.ts',
    ]);
  });

  it("is the only place that builds the HTTP app (and the API's routing-table test)", () => {
    expect(calling(/\bcreateApp\(/).filter((f) => f !== 'server/http/app.ts')).toEqual([
      'server/coordinator.ts',
      'test/api/history-api.test.ts',
    ]);
  });

  it('is what serve, the benchmarks and the test harnesses start', () => {
    const starters = calling(/\bstartCoordinator\(/).filter((f) => f !== 'server/coordinator.ts');
    expect(starters).toEqual(
      expect.arrayContaining([
        'cli/serve.ts',
        'bench/product/coordinator-child.ts',
        'bench/store/serve-store-child.ts',
        'test/integration/coordinator-harness.ts',
      ]),
    );
    expect(starters.filter((f) => f.startsWith('test/'))).toEqual([
      'test/integration/coordinator-harness.ts',
    ]);
  });
});
