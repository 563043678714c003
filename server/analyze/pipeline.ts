/**
 * geolocate -> verdict for one parsed trace: the pipeline shared by `detourwatch analyze`, the coordinator's
 * ingest and the RIPE Atlas import, so that a trace gets the same verdict whichever way it arrived.
 */
import type { AnnotatedTrace, SourcePosition } from '../../protocol/annotated.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';
import { decideVerdict } from '../detect/verdict.ts';
import { createLocator, type Locator } from '../geo/locator.ts';
import { DEFAULT_KM_PER_MS } from '../physics/rtt-bound.ts';

export interface AnalyzerOptions {
  /** The user's City database; the embedded GeoLite2 City data when absent. */
  cityDb?: string;
  /** The user's GeoLite2-ASN-format database; the embedded ASN ranges when absent. */
  asnDb?: string;
  /** ISO 3166-1 alpha-2; default US. */
  homeCountry?: string;
  /** Distance bound per ms of RTT; default 100 km (light in fibre, there and back). */
  kmPerMs?: number;
  /** Look up documentation ranges (test databases and the namespace lab place them); never in production. */
  lookUpDocumentation?: boolean;
}

export interface Analysis {
  annotated: AnnotatedTrace;
  verdict: Verdict;
}

export interface Analyzer {
  /** Judges one trace measured from `sourcePosition` (null: the source address's own location, if any). */
  analyze(trace: Trace, sourcePosition: SourcePosition | null): Verdict;
  /** The same, keeping the annotated trace for callers that show per-address evidence. */
  annotateAndJudge(trace: Trace, sourcePosition: SourcePosition | null): Analysis;
  /** Lines for a startup log: which databases and settings are in force. */
  describe(): string[];
  /** Loads lazily loaded tables now, so a server's first trace does not stall every agent. */
  preload(): void;
}

export function analyzerFrom(locator: Locator, homeCountry: string, kmPerMs: number): Analyzer {
  const options = { homeCountry, kmPerMs };
  const annotateAndJudge = (trace: Trace, sourcePosition: SourcePosition | null): Analysis => {
    const annotated = locator.annotate(trace, sourcePosition);
    return { annotated, verdict: decideVerdict(annotated, options) };
  };
  return {
    annotateAndJudge,
    analyze: (trace, sourcePosition) => annotateAndJudge(trace, sourcePosition).verdict,
    preload: () => locator.preload(),
    describe: () => [
      ...locator.describe(),
      `home country ${homeCountry}; distance bound ${kmPerMs} km per ms of RTT`,
    ],
  };
}

/** Opens the databases now, so a bad path fails at startup with DB_OPEN_FAILED naming the file. */
export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const locator = createLocator({
    ...(options.cityDb === undefined ? {} : { cityDb: options.cityDb }),
    ...(options.asnDb === undefined ? {} : { asnDb: options.asnDb }),
    lookUpDocumentation: options.lookUpDocumentation === true,
  });
  return analyzerFrom(
    locator,
    (options.homeCountry ?? 'US').toUpperCase(),
    options.kmPerMs ?? DEFAULT_KM_PER_MS,
  );
}
