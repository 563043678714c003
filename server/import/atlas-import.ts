import type { SourcePosition } from '../../protocol/annotated.ts';
import { describeError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Verdict, VerdictKind } from '../../protocol/verdict.ts';
import type { Analyzer } from '../analyze/pipeline.ts';
import { pathAsns } from '../incidents/observation.ts';
import { DEFAULT_LATE_AFTER_MS, isLate } from '../ingest/late.ts';
import { DEFAULT_LIMITS, parseTraceLine } from '../parse/index.ts';
import type { ImportProbeStore } from '../store/import-probe-store.ts';
import type { TraceStore } from '../store/trace-store.ts';
import { atlasImportKey } from './atlas-key.ts';
import { jsonValues } from './json-values.ts';
import type { ProbeLocations } from './probe-locations.ts';

/** One Atlas result, judged, ready to store. */
export interface ImportedTrace {
  importKey: string;
  trace: Trace;
  verdict: Verdict;
  sourcePosition: SourcePosition | null;
  pathAsns: number[];
}

/** Where imports go: the store, which writes a batch and folds it into incidents in one transaction. */
export interface ImportSink {
  /** Which of these keys are stored already (checked before the costly geolocation). */
  known(keys: readonly string[]): Promise<Set<string>>;
  /** Stores the batch; a key stored meanwhile is skipped. Returns how many were new. */
  write(batch: readonly ImportedTrace[]): Promise<number>;
}

/**
 * The sink that writes into the store, marking every trace as imported, and as late when it started more than
 * `lateAfterMs` before it was imported (server/ingest/late.ts): an old result is judged and alerted, marked.
 */
export function storeImportSink(
  store: Pick<TraceStore, 'knownImportKeys' | 'writeImported' | 'importedTraceIds'> & ImportProbeStore,
  lateAfterMs: number = DEFAULT_LATE_AFTER_MS,
  now: () => number = Date.now,
): ImportSink {
  /** Each stored trace's probe, found by its key (a key stored before keeps the probe it has). */
  async function recordProbes(batch: readonly ImportedTrace[]): Promise<void> {
    const probeOf = new Map<string, number>();
    for (const b of batch) {
      const probe = b.trace.meta?.prb_id;
      if (typeof probe === 'number') probeOf.set(b.importKey, probe);
    }
    if (probeOf.size === 0) return;
    const ids = await store.importedTraceIds([...probeOf.keys()]);
    await store.recordProbeIds(
      [...ids].flatMap(([key, traceId]) => {
        const probeId = probeOf.get(key);
        return probeId === undefined ? [] : [{ traceId, probeId }];
      }),
    );
  }
  return {
    known: (keys) => store.knownImportKeys(keys),
    write: async (batch) => {
      const stored = await writeBatch(batch);
      await recordProbes(batch);
      return stored;
    },
  };

  function writeBatch(batch: readonly ImportedTrace[]): Promise<number> {
    return store.writeImported(
      batch.map((b) => ({
        origin: 'import',
        agentId: null,
        trace: b.trace,
        verdict: b.verdict,
        sourcePosition:
          b.sourcePosition === null ? null : { lat: b.sourcePosition.lat, lon: b.sourcePosition.lon },
        pathAsns: b.pathAsns,
        importKey: b.importKey,
        late: isLate(Date.parse(b.trace.startedAt ?? ''), now(), lateAfterMs),
      })),
    );
  }
}

export interface ImportProgress {
  bytes: number;
  values: number;
  imported: number;
  duplicates: number;
  failed: number;
}

export interface AtlasImportReport extends ImportProgress {
  /** Traces in the input (a value may hold an array of results). */
  traces: number;
  /** Imported traces whose probe had no known location: judged without physics. */
  withoutLocation: number;
  verdicts: Record<VerdictKind, number>;
  /** The first problems, with their lines; `failed` counts them all. */
  errors: string[];
}

export interface AtlasImportOptions {
  input: AsyncIterable<string | Uint8Array>;
  analyzer: Pick<Analyzer, 'annotateAndJudge'>;
  probes: ProbeLocations;
  sink: ImportSink;
  batchSize?: number;
  onProgress?: (p: ImportProgress) => void;
}

const MAX_ERRORS_KEPT = 20;

async function* countingBytes(
  input: AsyncIterable<string | Uint8Array>,
  count: (n: number) => void,
): AsyncGenerator<string | Uint8Array> {
  for await (const chunk of input) {
    count(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength);
    yield chunk;
  }
}

/**
 * Imports RIPE Atlas traceroute results (a JSON array or NDJSON, streamed: one result in memory at a time plus
 * one batch). Each result is parsed by the same parser and judged by the same analysis as agents' traces,
 * from its probe's location when known. A result that does not parse is counted and reported with its line;
 * the import goes on. Results stored before (same msm_id, prb_id and timestamp) are skipped unjudged.
 */
export async function importAtlas(options: AtlasImportOptions): Promise<AtlasImportReport> {
  const batchSize = options.batchSize ?? 500;
  const report: AtlasImportReport = {
    bytes: 0,
    values: 0,
    traces: 0,
    imported: 0,
    duplicates: 0,
    failed: 0,
    withoutLocation: 0,
    verdicts: { domestic: 0, detour: 0, 'foreign-endpoint': 0, inconclusive: 0, implausible: 0 },
    errors: [],
  };
  const fail = (problem: string) => {
    report.failed++;
    if (report.errors.length < MAX_ERRORS_KEPT) report.errors.push(problem);
  };
  let pending: { key: string; trace: Trace; line: number }[] = [];

  async function flush(): Promise<void> {
    const known = await options.sink.known(pending.map((p) => p.key));
    const batch: ImportedTrace[] = [];
    const inBatch = new Set<string>();
    for (const p of pending) {
      if (known.has(p.key) || inBatch.has(p.key)) {
        report.duplicates++;
        continue;
      }
      try {
        batch.push(judge(p.key, p.trace));
        inBatch.add(p.key);
      } catch (err) {
        fail(`line ${p.line}: cannot judge the result: ${describeError(err)}`);
      }
    }
    pending = [];
    const stored = batch.length === 0 ? 0 : await options.sink.write(batch);
    report.imported += stored;
    report.duplicates += batch.length - stored;
    for (const b of batch) {
      report.verdicts[b.verdict.verdict]++;
      if (b.sourcePosition === null) report.withoutLocation++;
    }
    options.onProgress?.(report);
  }

  function judge(key: string, trace: Trace): ImportedTrace {
    const probe = trace.meta?.prb_id;
    const at = typeof probe === 'number' ? options.probes.get(probe) : undefined;
    const sourcePosition: SourcePosition | null = at ? { ...at, source: 'declared' } : null;
    const { annotated, verdict } = options.analyzer.annotateAndJudge(trace, sourcePosition);
    return { importKey: key, trace, verdict, sourcePosition, pathAsns: pathAsns(annotated) };
  }

  const input = countingBytes(options.input, (n) => {
    report.bytes += n;
  });
  try {
    for await (const value of jsonValues(input, { maxValueChars: DEFAULT_LIMITS.maxJsonChars })) {
      report.values++;
      let traces: Trace[];
      try {
        // The parser's message names the line already.
        traces = parseTraceLine(value.text, 'atlas', { lineNumber: value.line });
      } catch (err) {
        fail(describeError(err));
        continue;
      }
      traces.forEach((trace, i) => {
        report.traces++;
        // Without its timestamp a result has no place in time (and no stable key): nothing to store.
        if (trace.startedAt === null) fail(`line ${value.line}: the result has no "timestamp"`);
        else pending.push({ key: atlasImportKey(trace, value.text, i), trace, line: value.line });
      });
      if (pending.length >= batchSize) await flush();
    }
  } finally {
    // A broken or cut-off input still keeps the results read before the break.
    if (pending.length > 0) await flush();
  }
  options.onProgress?.(report);
  return report;
}
