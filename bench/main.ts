/**
 * `npm run bench [-- --quick] [-- --only ceiling,product,stages,analyze,query,map,pg,burst]`: runs the benchmarks,
 * prints the table and writes bench/results/latest.json. Each figure is a median of several runs; each
 * ratio is taken between figures measured in this same invocation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CeilingResult } from './ceiling-bench.ts';
import { runInChild } from './child.ts';
import { REPO_ROOT } from './fixtures.ts';
import { describeMachine } from './machine.ts';
import type { ProductIngestResult } from './product/ingest-product.ts';
import {
  OPT_IN_SECTIONS,
  PROFILES,
  type Profile,
  SECTION_GROUPS,
  SECTIONS,
  type Section,
} from './profiles.ts';
import type { QueryFigures } from './query/query-section.ts';
import { type Row, renderTable, skipped } from './table.ts';

export interface SectionContext {
  profile: Profile;
  /** Regenerate cached stores even when they are current (--fresh). */
  fresh: boolean;
  /** Figures measured earlier in this run (the ceiling, for the product's ratio). */
  ceiling: CeilingResult | null;
  /** The SQLite figures measured earlier in this run, for the PostgreSQL rows' ratios. */
  sqliteProduct: ProductIngestResult | null;
  sqliteQueries: QueryFigures | null;
  inChild: <T>(module: URL, fn: string, args: unknown[], timeoutMs: number) => Promise<T>;
}

interface Options {
  quick: boolean;
  fresh: boolean;
  only: Section[];
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
    strict: true,
  });
  const only: string[] =
    values.only === undefined
      ? SECTIONS.filter((s) => !OPT_IN_SECTIONS.includes(s))
      : values.only.split(',').flatMap((s): string[] => [...(SECTION_GROUPS[s.trim()] ?? [s.trim()])]);
  for (const s of only) {
    if (!(SECTIONS as readonly string[]).includes(s)) {
      throw new Error(
        `--only takes a comma-separated list of ${[...SECTIONS, ...Object.keys(SECTION_GROUPS)].join(', ')}; "${s}" is not one`,
      );
    }
  }
  return { quick: values.quick, fresh: values.fresh, only: only as Section[] };
}

export async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = readOptions(argv);
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const profile = PROFILES[options.quick ? 'quick' : 'full'];
  const machine = describeMachine();
  const began = performance.now();
  console.log(
    `detourwatch bench (${profile.name}) on ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}`,
  );
  const { runSection } = await import('./sections.ts');
  const ctx: SectionContext = {
    profile,
    fresh: options.fresh,
    ceiling: null,
    sqliteProduct: null,
    sqliteQueries: null,
    inChild: runInChild,
  };
  const rows: Row[] = [];
  let failures = 0;
  const details: Record<string, unknown> = {};
  for (const section of options.only) {
    const load = os.loadavg()[0] ?? Number.NaN;
    const t0 = performance.now();
    console.log(`-- ${section} (load average ${load.toFixed(2)})`);
    try {
      const out = await runSection(section, ctx);
      rows.push(...out.rows);
      details[section] = { ...out.detail, loadAverageBefore: load, seconds: (performance.now() - t0) / 1000 };
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      console.error(
        `bench: ${section} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      failures++;
      rows.push(skipped(section, `failed: ${why}`));
      details[section] = { error: why };
    }
  }
  const seconds = (performance.now() - began) / 1000;
  const table = renderTable(rows);
  console.log(
    `\n${table}\n\n${profile.name} run: ${seconds.toFixed(0)} s; load average now ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const dir = path.join(REPO_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'latest.json');
  writeFileSync(
    file,
    `${JSON.stringify({ at: new Date().toISOString(), profile, machine, seconds, rows, details }, null, 2)}\n`,
  );
  console.log(`written: ${path.relative(process.cwd(), file) || file}`);
  // A missed target is a result, reported above; only a benchmark that could not run fails the command.
  return failures > 0 ? 1 : 0;
}
