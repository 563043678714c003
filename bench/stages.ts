/**
 * The product's ingest path split into its stages, each timed alone in one process over the same replayed
 * outputs: the protocol frame (parseAgentMessage), the tool-output parser, geolocation + verdict, and the
 * store's batched write. Explains where the through-the-product figure goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAgentMessage, type ResultMessage } from '../protocol/messages.ts';
import { createAnalyzer } from '../server/analyze/pipeline.ts';
import { loadHistoryConfig } from '../server/history/history-options.ts';
import { startHistory } from '../server/history/history-service.ts';
import { buildResultRecord } from '../server/ingest/build-record.ts';
import { parseTraces } from '../server/parse/index.ts';
import { openSqliteStore } from '../server/store/sqlite/open.ts';
import { generateToken, hashToken } from '../server/store/tokens.ts';
import type { ResultRecord } from '../server/store/trace-store.ts';
import { loadReplayCorpus, variedTexts } from './fixtures.ts';
import { median } from './stats.ts';

export interface StageRates {
  /** Per second, for each stage alone. */
  frame: number;
  parse: number;
  analyze: number;
  write: number;
  /** All four in sequence, one process (no sockets). */
  total: number;
}

const BATCH = 500;

function rate(count: number, began: number): number {
  return count / ((performance.now() - began) / 1000);
}

export async function measureStages(count: number, variants: number): Promise<StageRates> {
  const corpus = loadReplayCorpus();
  const outputs = variedTexts(
    corpus.outputs.map((o) => o.output),
    variants,
  );
  const startedAt = new Date().toISOString();
  const frames = Array.from({ length: count }, (_, i) => {
    const o = corpus.outputs[i % corpus.outputs.length];
    return JSON.stringify({
      type: 'result',
      resultId: `stage-${String(i).padStart(8, '0')}`,
      taskId: null,
      target: o?.target,
      engine: o?.engine,
      ...(o?.method ? { method: o.method } : {}),
      output: outputs[i % outputs.length],
      startedAt,
      durationMs: 4200,
    });
  });
  const analyzer = createAnalyzer();
  const position = { lat: 40.71, lon: -74.01, source: 'declared' as const };
  for (const o of corpus.outputs)
    for (const t of parseTraces(o.output, o.engine)) analyzer.annotateAndJudge(t, position);

  let began = performance.now();
  const messages = frames.map((f) => parseAgentMessage(f) as ResultMessage);
  const frame = rate(count, began);

  began = performance.now();
  const parsed = messages.map((m) => parseTraces(m.output, m.engine));
  const parse = rate(count, began);

  began = performance.now();
  for (const traces of parsed) for (const t of traces) analyzer.annotateAndJudge(t, position);
  const analyze = rate(count, began);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'detourwatch-bench-stages-'));
  try {
    const store = openSqliteStore({ dataDir: dir, create: true });
    // The write stage includes what `serve` adds to every write: incidents and baselines in the transaction.
    const history = await startHistory({ store, ...loadHistoryConfig([], {}) });
    const token = await store.createToken('stages', hashToken(generateToken()), startedAt);
    const agent = await store.recordHello({
      tokenId: token.id,
      name: 'stages',
      location: position,
      engines: ['scamper', 'traceroute'],
      limits: { maxConcurrent: 1, maxPerMinute: 60 },
      agentVersion: 'bench',
      protocolVersion: 1,
      address: null,
      at: startedAt,
    });
    const fns = { parseTraces, analyze: analyzer.annotateAndJudge };
    const records: ResultRecord[] = messages.map((m) =>
      buildResultRecord({ id: agent.id, position }, m, startedAt, fns),
    );
    began = performance.now();
    for (let i = 0; i < records.length; i += BATCH) await store.writeResults(records.slice(i, i + BATCH));
    const write = rate(count, began);
    await history.close();
    await store.close();
    const total = 1 / (1 / frame + 1 / parse + 1 / analyze + 1 / write);
    return { frame, parse, analyze, write, total };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface StagesResult extends StageRates {
  runs: StageRates[];
}

/** Each stage's rate as the median over `runs` passes. */
export async function benchStages(options: {
  count: number;
  variants: number;
  runs: number;
}): Promise<StagesResult> {
  const runs: StageRates[] = [];
  for (let i = 0; i < options.runs; i++) runs.push(await measureStages(options.count, options.variants));
  const of = (k: keyof StageRates) => median(runs.map((r) => r[k]));
  return {
    frame: of('frame'),
    parse: of('parse'),
    analyze: of('analyze'),
    write: of('write'),
    total: of('total'),
    runs,
  };
}
