import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { SourcePosition } from '../../protocol/annotated.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { AnalyzeResponse, PastedTrace } from '../../protocol/map-api.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Analysis, Analyzer } from '../analyze/pipeline.ts';
import { isTraceFormat, parseTraces, type TraceFormat } from '../parse/index.ts';
import { type PasteStore, savePaste } from './analyze-save.ts';
import type { Auth } from './auth.ts';
import { detourDetail } from './map-detour.ts';
import { type Bucket, type BucketLimit, fullBucket, take } from './token-bucket.ts';

export const ANALYZE_PATH = '/api/v1/analyze';
export const MAX_ANALYZE_BYTES = 1024 * 1024;
/** Stricter than the API's write bucket: each paste is parsed and judged in full. */
export const ANALYZE_RATE_LIMIT: BucketLimit = { ratePerSecond: 1, burst: 5 };
/** Buckets kept at most; beyond it the oldest are forgotten, so a spray of addresses cannot grow memory. */
const MAX_BUCKETS = 10_000;
const BODY_SHAPE = '{"text": "...", "format": "auto", "sourceLocation": "LAT,LON" | null} or text/plain';

export interface AnalyzeRouteDeps {
  /** The coordinator's analyzer; absent: the route answers 503. */
  analyzer?: Pick<Analyzer, 'annotateAndJudge'> | undefined;
  auth: Pick<Auth, 'caller' | 'address' | 'operator'>;
  /** Where an operator's saved paste goes (`?save=1`); absent: saving answers 503. */
  store?: PasteStore | undefined;
  now(): number;
  analyzeLimit?: BucketLimit;
}

interface PasteRequest {
  text: string;
  format: TraceFormat;
  sourcePosition: SourcePosition | null;
}

/** `?save=1` (or `true`): store the judged traces; only with an operator key. */
function wantsSave(c: Context): boolean {
  const v = c.req.query('save');
  if (v === undefined || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true') return true;
  throw new DetourwatchError('BAD_REQUEST', `save must be 1 or 0, not ${JSON.stringify(v.slice(0, 20))}`);
}

function readLocation(v: unknown): SourcePosition | null {
  if (v === null || v === undefined || v === '') return null;
  const m = typeof v === 'string' ? /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(v) : null;
  const lat = Number(m?.[1]);
  const lon = Number(m?.[2]);
  if (!m || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    throw new DetourwatchError(
      'BAD_REQUEST',
      'sourceLocation must be "LAT,LON" (e.g. "40.71,-74.01") or null',
    );
  }
  return { lat, lon, source: 'declared' };
}

async function readPaste(c: Context): Promise<PasteRequest> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/json')) {
    return { text: await c.req.text(), format: 'auto', sourcePosition: null };
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new DetourwatchError('BAD_REQUEST', `the body must be JSON: ${BODY_SHAPE}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DetourwatchError('BAD_REQUEST', `the body must be a JSON object: ${BODY_SHAPE}`);
  }
  const { text, format, sourceLocation } = body as Record<string, unknown>;
  if (typeof text !== 'string')
    throw new DetourwatchError('BAD_REQUEST', `text must be a string: ${BODY_SHAPE}`);
  const chosen = format === undefined || format === null ? 'auto' : format;
  if (typeof chosen !== 'string' || !isTraceFormat(chosen)) {
    throw new DetourwatchError('BAD_REQUEST', `format ${JSON.stringify(chosen)} is not a known trace format`);
  }
  return { text, format: chosen, sourcePosition: readLocation(sourceLocation) };
}

/** One judged paste as the map draws it; ids are negative so they never meet a stored detour's. */
function pastedTrace(trace: Trace, index: number, analysis: Analysis): PastedTrace {
  const { annotated, verdict } = analysis;
  const position = annotated.sourcePosition;
  const target = trace.destination.name ?? trace.destination.address ?? verdict.destination.ip ?? '?';
  const detail = detourDetail({
    id: -(index + 1),
    startedAt: trace.startedAt ?? new Date(0).toISOString(),
    agentId: null,
    agentName: null,
    target,
    sourcePosition: position === null ? null : { lat: position.lat, lon: position.lon },
    confidence: verdict.confidence ?? 'probable',
    verdict,
  });
  return {
    ...detail,
    pasted: true,
    verdict: verdict.verdict,
    verdictConfidence: verdict.confidence,
    reason: verdict.reason,
    sourceLocated: position !== null,
    warnings: trace.warnings ?? [],
    problems: (verdict.problems ?? []).map((p) => p.message),
  };
}

/**
 * Analyse a pasted traceroute: parse it, judge it with the coordinator's analyzer and answer what the map
 * draws. Nothing is stored (`stored: false`) unless an operator asks with `?save=1` and an operator key: then
 * the judged traces are stored as origin `paste` (analyze-save.ts), once per text and source location.
 */
export function analyzeRoutes(deps: AnalyzeRouteDeps): Hono {
  const app = new Hono();
  const limit = deps.analyzeLimit ?? ANALYZE_RATE_LIMIT;
  const buckets = new Map<string, Bucket>();
  app.post(
    ANALYZE_PATH,
    async (c, next) => {
      const who = await deps.auth.caller(c);
      const key = who.tokenId !== null ? `key:${who.tokenId}` : `addr:${deps.auth.address(c) ?? 'unknown'}`;
      const at = deps.now();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= MAX_BUCKETS) buckets.delete(buckets.keys().next().value ?? '');
        bucket = fullBucket(limit, at);
        buckets.set(key, bucket);
      }
      const outcome = take(bucket, limit, at);
      if (!outcome.ok) {
        c.header('Retry-After', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
        throw new DetourwatchError('RATE_LIMITED', 'too many pastes: retry after the Retry-After delay');
      }
      await next();
    },
    // Saving needs an operator key, checked before the body is read: without one nothing is parsed or stored.
    (c, next) => (wantsSave(c) ? deps.auth.operator(c, next) : next()),
    bodyLimit({
      maxSize: MAX_ANALYZE_BYTES,
      onError: () => {
        throw new DetourwatchError('PAYLOAD_TOO_LARGE', 'the request body is larger than 1 MiB');
      },
    }),
    async (c) => {
      const analyzer = deps.analyzer;
      if (!analyzer) throw new DetourwatchError('UNAVAILABLE', 'this coordinator has no analyzer for pastes');
      const paste = await readPaste(c);
      // An unreadable paste throws the parser's coded error, which error-response.ts answers with 400.
      const traces: Trace[] = parseTraces(paste.text, paste.format);
      const analyses = traces.map((t) => analyzer.annotateAndJudge(t, paste.sourcePosition));
      const judged = traces.map((t, i) => pastedTrace(t, i, analyses[i] as Analysis));
      const answer: AnalyzeResponse = {
        stored: false,
        needsSourceLocation: judged.some((t) => !t.sourceLocated),
        traces: judged,
      };
      if (!wantsSave(c)) return c.json(answer);
      if (!deps.store) throw new DetourwatchError('UNAVAILABLE', 'this coordinator cannot store pastes');
      const who = await deps.auth.caller(c);
      const saved = await savePaste(deps.store, {
        text: paste.text,
        given: paste.sourcePosition,
        traces,
        analyses,
        tokenId: who.tokenId,
        now: deps.now(),
      });
      return c.json({ ...answer, stored: true, ...saved } satisfies AnalyzeResponse);
    },
  );
  return app;
}
