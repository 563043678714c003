import { greatCircleKm } from '../physics/great-circle.ts';
import { maxDistanceKm } from '../physics/rtt-bound.ts';
import { readCityNames } from './city-reader.ts';
import { readClli } from './clli-reader.ts';
import {
  type Disc,
  type FeasibleRegion,
  feasiblePlaces,
  feasibleRegion,
  isFeasible,
  type Vantage,
} from './constraints.ts';
import type { Conventions, LearnedCode, PositionTally, SuffixConvention } from './convention.ts';
import type { Gazetteer } from './gazetteer.ts';
import { positionKey } from './hint.ts';
import { type TokenizedHostname, tokenizeHostname } from './hostname.ts';
import { readIata } from './iata-reader.ts';
import { HINT_RADIUS_KM, SAME_METRO_KM } from './place.ts';
import { ROLE_WORDS } from './role-words.ts';

/** One measurement of a named router: a vantage at a known position reached it in `rttMs` (its lowest). */
export interface HostnameObservation {
  address: string;
  hostname: string;
  vantage: Vantage;
  rttMs: number;
}

export interface LearningOptions {
  kmPerMs: number;
  /** Readings (distinct addresses) a (rule, label) needs before it can be adopted; default 3. */
  minReadings?: number;
  /** Share of those readings the RTTs must allow; default 0.8. */
  minShare?: number;
  /**
   * A reading only counts when the address's tightest disc is at most this wide (default 1,000 km, 10 ms): a slow
   * reply allows half the world and would "confirm" any reading.
   */
  informativeKm?: number;
}

interface Measured {
  tokenized: TokenizedHostname;
  region: FeasibleRegion;
  discs: Disc[];
}

function measuredAddresses(observations: readonly HostnameObservation[], kmPerMs: number): Measured[] {
  const byAddress = new Map<string, { hostname: string; discs: Disc[] }>();
  for (const o of observations) {
    if (!(Number.isFinite(o.rttMs) && o.rttMs >= 0)) continue;
    const entry = byAddress.get(o.address) ?? { hostname: o.hostname, discs: [] };
    entry.discs.push({ vantage: o.vantage, rttMs: o.rttMs, radiusKm: maxDistanceKm(o.rttMs, kmPerMs) });
    byAddress.set(o.address, entry);
  }
  const out: Measured[] = [];
  for (const { hostname, discs } of byAddress.values()) {
    const tokenized = tokenizeHostname(hostname);
    if (tokenized === null || tokenized.labels.length === 0) continue;
    out.push({ tokenized, region: feasibleRegion(discs), discs });
  }
  return out;
}

/**
 * Learns, per registered domain, which (rule, label) positions carry places, from named routers measured from
 * known positions: every reading of every token (IATA codes at any label-part start, CLLI codes, city names)
 * is tested against the address's RTT discs, and a position is adopted when at least `minReadings` addresses
 * were tested there and at least `minShare` of them allowed the reading. Then codes no dictionary knows that
 * repeat at an adopted label are placed where the RTTs of all their routers together leave room for exactly one
 * notable place (a city with a medium or large airport, within one metro area). Simple counting, so every
 * adoption can be explained by its tally.
 */
export function learnConventions(
  observations: readonly HostnameObservation[],
  gazetteer: Gazetteer,
  options: LearningOptions,
): Conventions {
  const minReadings = options.minReadings ?? 3;
  const minShare = options.minShare ?? 0.8;
  const informativeKm = options.informativeKm ?? 1000;
  const measured = measuredAddresses(observations, options.kmPerMs).filter(
    (m) => m.region.tightest !== null && m.region.tightest.radiusKm <= informativeKm,
  );
  const tallies = new Map<string, Map<string, PositionTally>>();
  /** Per suffix: labels at which some dictionary reading held, per address (so a custom code there is not needed). */
  const explained = new Map<Measured, Set<number>>();
  for (const m of measured) {
    const readings = [
      ...readIata(m.tokenized, gazetteer, true),
      ...readClli(m.tokenized, gazetteer),
      ...readCityNames(m.tokenized, gazetteer),
    ];
    const counted = new Set<string>();
    const held = new Set<number>();
    for (const r of readings) {
      const key = positionKey(r.rule, r.label);
      if (counted.has(key)) continue;
      counted.add(key);
      const ok = r.places.some((p) => isFeasible(m.region, p, HINT_RADIUS_KM));
      if (ok) held.add(r.label);
      const bySuffix = tallies.get(m.tokenized.suffix) ?? new Map<string, PositionTally>();
      const tally = bySuffix.get(key) ?? { rule: r.rule, label: r.label, consistent: 0, refuted: 0 };
      if (ok) tally.consistent++;
      else tally.refuted++;
      bySuffix.set(key, tally);
      tallies.set(m.tokenized.suffix, bySuffix);
    }
    explained.set(m, held);
  }
  const conventions = new Map<string, SuffixConvention>();
  for (const [suffix, bySuffix] of tallies) {
    const adopted: PositionTally[] = [];
    const rejected: PositionTally[] = [];
    for (const t of bySuffix.values()) {
      const n = t.consistent + t.refuted;
      (n >= minReadings && t.consistent / n >= minShare ? adopted : rejected).push(t);
    }
    if (adopted.length === 0) continue;
    const convention: SuffixConvention = { suffix, adopted, rejected, codes: {} };
    convention.codes = learnCodes(
      measured.filter((m) => m.tokenized.suffix === suffix),
      new Set(adopted.map((t) => t.label)),
      explained,
      gazetteer,
      minReadings,
    );
    conventions.set(suffix, convention);
  }
  return conventions;
}

function learnCodes(
  measured: readonly Measured[],
  placeLabels: ReadonlySet<number>,
  explained: ReadonlyMap<Measured, Set<number>>,
  gazetteer: Gazetteer,
  minReadings: number,
): Record<string, LearnedCode> {
  const byToken = new Map<string, Measured[]>();
  for (const m of measured) {
    const held = explained.get(m) ?? new Set<number>();
    for (const t of m.tokenized.tokens) {
      if (t.kind !== 'alpha' || !t.startsPart || !placeLabels.has(t.label) || held.has(t.label)) continue;
      if (t.text.length < 3 || t.text.length > 6 || ROLE_WORDS.has(t.text)) continue;
      const list = byToken.get(t.text) ?? [];
      if (!list.includes(m)) list.push(m);
      byToken.set(t.text, list);
    }
  }
  const codes: Record<string, LearnedCode> = {};
  for (const [token, routers] of byToken) {
    if (routers.length < minReadings) continue;
    // Routers sharing a code sit in one metro area, each anywhere within it: widen every disc by that much.
    const joint = feasibleRegion(
      routers.flatMap((m) => m.discs.map((d) => ({ ...d, radiusKm: d.radiusKm + HINT_RADIUS_KM }))),
    );
    const notable = feasiblePlaces(joint, gazetteer).filter((p) => p.importance >= 2);
    const best = notable.sort((a, b) => b.importance - a.importance)[0];
    if (best === undefined || notable.some((p) => greatCircleKm(p, best) > SAME_METRO_KM)) continue;
    codes[token] = { place: best, addresses: routers.length };
  }
  return codes;
}
