import type { AddressInfo, AddressPlacement, AnnotatedTrace } from '../../protocol/annotated.ts';
import { type Disc, discFrom, feasibleRegion } from './constraints.ts';
import type { Conventions } from './convention.ts';
import { decidePlacement, type OperatorCorrection } from './decide.ts';
import type { Gazetteer } from './gazetteer.ts';
import { tokenizeHostname } from './hostname.ts';
import { readHostname } from './read-hints.ts';

/** What placement may draw on besides the trace: dictionaries always; the rest when a coordinator has learned it. */
export interface PlacementInputs {
  /** The dictionaries, loaded on first use (a trace without names never loads them). */
  gazetteer: () => Gazetteer;
  /** Naming conventions learned per domain suffix. */
  conventions?: Conventions;
  /** Other vantage points' lowest RTTs to an address (stored constraints); none offline. */
  constraintsFor?: (address: string) => readonly Disc[];
  correctionFor?: (address: string) => OperatorCorrection | null;
}

export interface PlacementSettings {
  home: ReadonlySet<string>;
  kmPerMs: number;
}

/** Per responding address: the first reverse name the tool printed, and its lowest usable RTT in this trace. */
function observed(annotated: AnnotatedTrace): Map<string, { name: string | null; rttMs: number | null }> {
  const seen = new Map<string, { name: string | null; rttMs: number | null }>();
  for (const hop of annotated.trace.hops) {
    for (const reply of hop.replies) {
      if (reply.address === null) continue;
      const entry = seen.get(reply.address) ?? { name: null, rttMs: null };
      if (entry.name === null && reply.name) entry.name = reply.name;
      const rtt = reply.rttMs;
      if (rtt !== null && Number.isFinite(rtt) && rtt >= 0 && (entry.rttMs === null || rtt < entry.rttMs))
        entry.rttMs = rtt;
      seen.set(reply.address, entry);
    }
  }
  return seen;
}

/**
 * Places every hop address that has more than a database answer to go on (a reverse name with a reading, other
 * vantages' RTTs, a correction), and returns the trace with those addresses' locations replaced by the chosen
 * placements and `placements` recording why. A trace with nothing to weigh comes back as it was.
 */
export function placeTrace(
  annotated: AnnotatedTrace,
  inputs: PlacementInputs,
  settings: PlacementSettings,
): AnnotatedTrace {
  const position = annotated.sourcePosition;
  let addresses: Record<string, AddressInfo> | null = null;
  let placements: Record<string, AddressPlacement> | null = null;
  for (const [address, seen] of observed(annotated)) {
    const info = annotated.addresses[address];
    if (info?.class !== 'global') continue;
    const tokenized = seen.name === null ? null : tokenizeHostname(seen.name);
    const named = tokenized !== null && tokenized.labels.length > 0 ? tokenized : null;
    const external = inputs.constraintsFor?.(address) ?? [];
    const correction = inputs.correctionFor?.(address) ?? null;
    if (named === null && external.length === 0 && correction === null) continue;
    const hints =
      named === null ? null : readHostname(named, inputs.gazetteer(), inputs.conventions?.get(named.suffix));
    if ((hints === null || hints.readings.length === 0) && external.length === 0 && correction === null)
      continue;
    // The prober's own stored reading says nothing more unless an earlier trace of it was faster.
    const own = seen.rttMs;
    const discs: Disc[] = external.filter(
      (d) =>
        position === null ||
        own === null ||
        d.rttMs < own ||
        d.vantage.lat !== position.lat ||
        d.vantage.lon !== position.lon,
    );
    if (position !== null && seen.rttMs !== null) {
      discs.push(
        discFrom(
          { lat: position.lat, lon: position.lon, label: 'the prober', isProber: true },
          seen.rttMs,
          settings.kmPerMs,
        ),
      );
    }
    const decision = decidePlacement(
      {
        address,
        hostname: seen.name,
        hints,
        database: info.location,
        correction,
        region: feasibleRegion(discs),
      },
      inputs.gazetteer,
      settings.home,
    );
    placements ??= Object.create(null) as Record<string, AddressPlacement>;
    placements[address] = decision.placement;
    if (decision.location !== info.location) {
      addresses ??= Object.assign(Object.create(null) as Record<string, AddressInfo>, annotated.addresses);
      addresses[address] = { ...info, location: decision.location };
    }
  }
  if (placements === null) return annotated;
  return { ...annotated, addresses: addresses ?? annotated.addresses, placements };
}
