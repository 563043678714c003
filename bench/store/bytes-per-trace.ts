/**
 * Bytes on disk per stored trace (issue 17): the replay corpus (address-varied, as the stages bench uses it)
 * judged and written through the store's own batched write path on SQLite, with incidents and baselines in
 * the transaction as `serve` writes them; then the WAL checkpointed (TRUNCATE) and database + WAL divided by
 * the traces, split by table and index. Run alone: `npx tsx bench/store/bytes-per-trace.ts [count]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAgentMessage, type ResultMessage } from '../../protocol/messages.ts';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { loadHistoryConfig } from '../../server/history/history-options.ts';
import { startHistory } from '../../server/history/history-service.ts';
import { buildResultRecord } from '../../server/ingest/build-record.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { sqliteDiskUsage } from '../../server/store/sqlite/disk-usage.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import type { ResultRecord } from '../../server/store/trace-store.ts';
import { loadReplayCorpus, variedTexts } from '../fixtures.ts';

const BATCH = 500;

export interface BytesPerTrace {
  traces: number;
  bytesPerTrace: number;
  databaseBytes: number;
  walBytes: number;
  /** Each table's and index's bytes per trace, largest first (null without dbstat). */
  perObject: { name: string; bytesPerTrace: number }[] | null;
  /** Traces/s of the batched write (the stages bench's write stage, on the same records). */
  writeRate: number;
}

export async function measureBytesPerTrace(count: number, variants: number): Promise<BytesPerTrace> {
  const corpus = loadReplayCorpus();
  const outputs = variedTexts(
    corpus.outputs.map((o) => o.output),
    variants,
  );
  const startedAt = new Date().toISOString();
  const analyzer = createAnalyzer();
  const position = { lat: 40.71, lon: -74.01, source: 'declared' as const };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detourwatch-bench-bytes-'));
  try {
    const store = openSqliteStore({ dataDir: dir, create: true });
    const history = await startHistory({ store, ...loadHistoryConfig([], {}) });
    const token = await store.createToken('bytes', hashToken(generateToken()), startedAt);
    const agent = await store.recordHello({
      tokenId: token.id,
      name: 'bytes',
      location: position,
      engines: ['scamper', 'traceroute'],
      limits: { maxConcurrent: 1, maxPerMinute: 60 },
      agentVersion: 'bench',
      protocolVersion: 1,
      address: null,
      at: startedAt,
    });
    const fns = { parseTraces, analyze: analyzer.annotateAndJudge };
    const records: ResultRecord[] = Array.from({ length: count }, (_, i) => {
      const o = corpus.outputs[i % corpus.outputs.length];
      const output = outputs[i % outputs.length] ?? '';
      // The task's target is the varied trace's own destination: the recorded one would make it implausible.
      const [varied] = o ? parseTraces(output, o.engine) : [];
      const frame = JSON.stringify({
        type: 'result',
        resultId: `bytes-${String(i).padStart(8, '0')}`,
        taskId: null,
        target: varied?.destination.address ?? varied?.destination.name ?? o?.target,
        engine: o?.engine,
        ...(o?.method ? { method: o.method } : {}),
        output,
        startedAt,
        durationMs: 4200,
      });
      return buildResultRecord(
        { id: agent.id, position },
        parseAgentMessage(frame) as ResultMessage,
        startedAt,
        fns,
      );
    });
    const traces = records.reduce((n, r) => n + r.traces.length, 0);
    const began = performance.now();
    for (let i = 0; i < records.length; i += BATCH) await store.writeResults(records.slice(i, i + BATCH));
    const writeRate = traces / ((performance.now() - began) / 1000);
    await history.close();
    await store.close();
    const usage = sqliteDiskUsage(dir);
    return {
      traces,
      bytesPerTrace: (usage.databaseBytes + usage.walBytes) / traces,
      databaseBytes: usage.databaseBytes,
      walBytes: usage.walBytes,
      perObject: usage.objects?.map((o) => ({ name: o.name, bytesPerTrace: o.bytes / traces })) ?? null,
      writeRate,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 20000);
  const r = await measureBytesPerTrace(count, 8);
  console.log(
    `${r.traces} traces: ${r.bytesPerTrace.toFixed(0)} bytes/trace (database ${r.databaseBytes}, WAL ${r.walBytes}); write ${r.writeRate.toFixed(0)}/s`,
  );
  for (const o of r.perObject ?? []) console.log(`  ${o.name.padEnd(36)} ${o.bytesPerTrace.toFixed(0)}`);
}
