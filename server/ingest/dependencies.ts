/**
 * The pure functions ingest is given rather than imports, so the coordinator can be wired with the real
 * parser and analysis pipeline and tests can run the same ingest path.
 */
import type { SourcePosition } from '../../protocol/annotated.ts';
import type { EngineName } from '../../protocol/messages.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Analysis } from '../analyze/pipeline.ts';
import type { PlausibilityContext } from '../plausibility/plausibility.ts';

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
