/**
 * The pure functions ingest is given rather than imports, so the coordinator can be wired with the real
 * parser and analysis pipeline and tests can run the same ingest path.
 */
import type { SourcePosition } from '../../protocol/annotated.ts';
import type { EngineName, ResultMessage } from '../../protocol/messages.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Analysis } from '../analyze/pipeline.ts';
import type { PlausibilityContext } from '../plausibility/plausibility.ts';
import type { ResultRecord } from '../store/trace-store.ts';

/**
 * Geolocate and judge one trace as seen from the prober's position. The annotated trace comes back too:
 * baselines compare the path's ASNs, which only the annotation holds.
 */
export type Analyze = (
  trace: Trace,
  sourcePosition: SourcePosition | null,
  context?: PlausibilityContext,
) => Analysis;

/**
 * Add reverse names to a parsed trace before it is judged (server/resolve/name-trace.ts: PTR lookups with a
 * bounded wait). Never rejects: a name not known in time is left out.
 */
export type NameTrace = (trace: Trace) => Promise<Trace>;

/** Turn a tool's raw output into traces; the format is the engine's name. Throws DetourwatchError. */
export type ParseTraces = (text: string, format: EngineName) => Trace[];

/** What ingest needs to know about the agent a result came from. */
export interface IngestAgent {
  id: string;
  /** The agent's declared location, the origin of every distance the physics measures. */
  position: SourcePosition | null;
}

/**
 * A result's record built off the main thread (analysis-pool.ts), or why not: `saturated` (every worker holds
 * its share: the agent is told to slow down) or `failed` (the worker stopped: asked again, never lost).
 */
export type BuiltRecord = { record: ResultRecord } | { unbuilt: 'saturated' | 'failed'; reason: string };

/**
 * Parse -> names -> geolocate -> verdict elsewhere (worker threads); null: not now (no worker can start), so
 * ingest builds the record itself. Never rejects.
 */
export type BuildRecordElsewhere = (
  agent: IngestAgent,
  message: ResultMessage,
  receivedAt: string,
) => Promise<BuiltRecord> | null;
