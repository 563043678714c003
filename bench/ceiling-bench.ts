/** The ingest ceiling's runs (see ceiling.ts), made to run in a child process of their own. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCeilingGeo, runCeiling } from './ceiling.ts';
import { type CorpusShape, loadLineCorpus, variedTexts } from './fixtures.ts';
import { median } from './stats.ts';

export interface CeilingOptions {
  variants: number;
  count: number;
  runs: number;
}

export interface CeilingResult {
  tracesPerSecond: number;
  runs: number[];
  distinctTraces: number;
  corpus: CorpusShape;
}

/** One warm-up run, then `runs` measured ones, each into a new database. */
export async function benchCeiling(options: CeilingOptions): Promise<CeilingResult> {
  const corpus = loadLineCorpus();
  const lines = variedTexts(corpus.lines, options.variants);
  const geo = await openCeilingGeo();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detourwatch-bench-ceiling-'));
  try {
    runCeiling(lines, Math.min(options.count, 5000), dir, geo);
    const runs: number[] = [];
    for (let i = 0; i < options.runs; i++) runs.push(runCeiling(lines, options.count, dir, geo));
    return { tracesPerSecond: median(runs), runs, distinctTraces: lines.length, corpus: corpus.shape };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
