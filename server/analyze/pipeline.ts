/**
 * geolocate -> plausibility -> verdict for one parsed trace: the pipeline shared by `detourwatch analyze`, the
 * coordinator's ingest and the RIPE Atlas import, so that a trace gets the same verdict whichever way it arrived.
 */
import type { AddressInfo, AnnotatedTrace, SourcePosition } from '../../protocol/annotated.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';
import { homeFrom } from '../detect/home-countries.ts';
import { decideVerdict } from '../detect/verdict.ts';
import { createLocator, type Locator } from '../geo/locator.ts';
import type { DatabaseDigest } from '../geo/sources.ts';
import { DEFAULT_KM_PER_MS } from '../physics/rtt-bound.ts';
import { packagedGazetteer } from '../placement/dictionaries.ts';
import { type PlacementInputs, placeTrace } from '../placement/place-trace.ts';
import { implausibleVerdict } from '../plausibility/implausible-verdict.ts';
import { checkPlausibility, type PlausibilityContext } from '../plausibility/plausibility.ts';

export interface AnalyzerOptions {
  /** The user's City database; the embedded GeoLite2 City data when absent. */
  cityDb?: string;
  /** The user's GeoLite2-ASN-format database; the embedded ASN ranges when absent. */
  asnDb?: string;
  /** ISO 3166-1 alpha-2 (or a comma list, "US,CA"); default US. Each home country brings its territories. */
  homeCountry?: string;
  /** Every home country, first one named in reasons; overrides `homeCountry` when non-empty. */
  homeCountries?: string[];
  /** Distance bound per ms of RTT; default 100 km (light in fibre, there and back). */
  kmPerMs?: number;
  /** Look up documentation ranges (test databases and the namespace lab place them); never in production. */
  lookUpDocumentation?: boolean;
  /**
   * The locator in service, asked once per trace (server/geo/database-swap.ts swaps it); replaces `cityDb`,
   * `asnDb` and `lookUpDocumentation`.
   */
  locator?: () => Locator;
}

export interface Analysis {
  annotated: AnnotatedTrace;
  verdict: Verdict;
}

export interface Analyzer {
  /**
   * Judges one trace measured from `sourcePosition` (null: the source address's own location, if any).
   * `context` carries what the agent's task asked for (its target), for agent results only.
   */
  analyze(trace: Trace, sourcePosition: SourcePosition | null, context?: PlausibilityContext): Verdict;
  /** The same, keeping the annotated trace for callers that show per-address evidence. */
  annotateAndJudge(
    trace: Trace,
    sourcePosition: SourcePosition | null,
    context?: PlausibilityContext,
  ): Analysis;
  /** Lines for a startup log: which databases and settings are in force. */
  describe(): string[];
  /** Loads lazily loaded tables now, so a server's first trace does not stall every agent. */
  preload(): void;
  /** What its verdicts rest on, for evidence bundles: the distance bound, home, the databases in service. */
  provenance(): AnalysisProvenance;
  /**
   * The same analyzer also drawing on what a coordinator has learned (stored router constraints, operator
   * corrections: issue 15); the hooks are synchronous, backed by the caller's caches.
   */
  withLearned(learned: LearnedPlacement): Analyzer;
  /** What the databases in service say of one address (location reports). Throws PARSE_FAILED for non-addresses. */
  locate(address: string): AddressInfo;
}

/** What a coordinator (or `analyze --data`) adds to the dictionaries: read synchronously per address. */
export type LearnedPlacement = Pick<PlacementInputs, 'constraintsFor' | 'correctionFor' | 'conventions'>;

export interface AnalysisProvenance {
  kmPerMs: number;
  homeCountries: string[];
  databases: DatabaseDigest[];
}

/** What the analyzer adds to the databases: placement from names, constraints, corrections; more home countries. */
export interface AnalyzerExtras {
  placement?: PlacementInputs;
  homeCountries?: readonly string[];
}

/** `locator` is a fixed locator, or a function giving the one in service (asked once per trace). */
export function analyzerFrom(
  locator: Locator | (() => Locator),
  homeCountry: string,
  kmPerMs: number,
  extras: AnalyzerExtras = {},
): Analyzer {
  const options = {
    homeCountry,
    kmPerMs,
    ...(extras.homeCountries ? { homeCountries: extras.homeCountries } : {}),
  };
  const home = homeFrom(extras.homeCountries?.length ? extras.homeCountries : homeCountry).countries;
  const placement = extras.placement;
  const inService = typeof locator === 'function' ? locator : () => locator;
  const annotateAndJudge = (
    trace: Trace,
    sourcePosition: SourcePosition | null,
    context?: PlausibilityContext,
  ): Analysis => {
    // One snapshot for the whole trace: a swap meanwhile never judges it half with one build, half the other.
    const geo = inService();
    const located = geo.annotate(trace, sourcePosition);
    // Names, constraints and corrections replace the database locations they overturn (server/placement).
    const annotated = placement ? placeTrace(located, placement, { home, kmPerMs }) : located;
    // Before any judgement: a trace no real tool could print is kept as implausible, never judged a detour.
    const check = checkPlausibility(trace, context);
    const judged = check.ok
      ? decideVerdict(annotated, options)
      : implausibleVerdict(trace, check.problems, homeCountry);
    return { annotated, verdict: { ...judged, geoDatabases: geo.builds() } };
  };
  return {
    annotateAndJudge,
    withLearned: (learned) =>
      analyzerFrom(locator, homeCountry, kmPerMs, {
        ...extras,
        placement: { ...(placement ?? { gazetteer: packagedGazetteer }), ...learned },
      }),
    analyze: (trace, sourcePosition, context) => annotateAndJudge(trace, sourcePosition, context).verdict,
    locate: (address) => inService().locate(address),
    preload: () => inService().preload(),
    provenance: () => ({ kmPerMs, homeCountries: [...home], databases: inService().digests() }),
    describe: () => [
      ...inService().describe(),
      `home country ${homeCountry}; distance bound ${kmPerMs} km per ms of RTT`,
    ],
  };
}

/** Opens the databases now, so a bad path fails at startup with DB_OPEN_FAILED naming the file. */
export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const locator =
    options.locator ??
    createLocator({
      ...(options.cityDb === undefined ? {} : { cityDb: options.cityDb }),
      ...(options.asnDb === undefined ? {} : { asnDb: options.asnDb }),
      lookUpDocumentation: options.lookUpDocumentation === true,
    });
  const homeCountries = options.homeCountries?.length
    ? options.homeCountries
    : (options.homeCountry ?? 'US').split(',');
  return analyzerFrom(
    locator,
    (homeCountries[0] ?? 'US').trim().toUpperCase(),
    options.kmPerMs ?? DEFAULT_KM_PER_MS,
    { placement: { gazetteer: packagedGazetteer }, homeCountries },
  );
}
