/**
 * The layering the project promises, read from the source: `web/` and `agent/` import nothing under `server/`,
 * `server/` nothing under `web/src` or `agent/`, and only `server/store/` speaks SQL or opens a database driver.
 * Reads every import (static, dynamic and `export ... from`) and resolves it against the importing file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...sourceFiles(rel));
    } else if (/\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;

/** Every module a file imports: relative ones as repository paths, packages by name. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map(([, , spec = '']) =>
    spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec,
  );
}

function crossings(fromDir: string, forbidden: readonly string[]): string[] {
  return sourceFiles(fromDir).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((f) => target === f || target.startsWith(`${f}/`)))
      .map((target) => `${file} -> ${target}`),
  );
}

// SQL keywords as statements are written, and the database drivers: nothing else needs them.
const SQL = /\.prepare\(|\b(SELECT\s+[\w*(]|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+TABLE)\b/;
const DRIVERS = ['better-sqlite3', 'pg', 'postgres'];

describe('layers', () => {
  it('finds the imports it checks (the reader is not blind)', () => {
    expect(importsOf('server/coordinator.ts')).toContain('server/hub/hub.ts');
    expect(sourceFiles('web/src').length).toBeGreaterThan(5);
    expect(sourceFiles('agent').length).toBeGreaterThan(5);
  });

  it('web/ and agent/ import nothing under server/', () => {
    expect(crossings('web/src', ['server'])).toEqual([]);
    expect(crossings('agent', ['server'])).toEqual([]);
  });

  it('server/ imports nothing under web/src or agent/', () => {
    expect(crossings('server', ['web/src', 'agent'])).toEqual([]);
  });

  it('server/http is imported only by the wiring that mounts it', () => {
    const wiring = new Set(['server/coordinator.ts'].map(path.normalize));
    const dirs = readdirSync(path.join(ROOT, 'server'), { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'http')
      .map((e) => path.join('server', e.name));
    const found = [...dirs, 'cli'].flatMap((dir) => crossings(dir, ['server/http']));
    expect(found.filter((line) => !wiring.has(line.split(' -> ')[0] ?? ''))).toEqual([]);
  });

  it('protocol/ imports only protocol/', () => {
    expect(crossings('protocol', ['server', 'agent', 'web', 'cli'])).toEqual([]);
  });

  it('only server/store/ speaks SQL or opens a database driver', () => {
    const offenders: string[] = [];
    for (const dir of ['server', 'cli', 'bench', 'agent', 'protocol', 'web/src']) {
      for (const file of sourceFiles(dir)) {
        if (file.startsWith(`server${path.sep}store${path.sep}`)) continue;
        if (SQL.test(readFileSync(path.join(ROOT, file), 'utf8'))) offenders.push(`${file}: SQL`);
        for (const target of importsOf(file))
          if (DRIVERS.includes(target)) offenders.push(`${file}: imports ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the SQL check would see SQL where it is', () => {
    const storeFiles = sourceFiles('server/store').filter((f) =>
      SQL.test(readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(storeFiles.length).toBeGreaterThan(0);
  });
});
