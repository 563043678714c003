import { destinationPrefix } from '../../protocol/address/prefix.ts';
import type { AgentLocationItem, LocationStatus, VantageEvidenceItem } from '../../protocol/history-api.ts';
import { greatCircleKm, type LatLon } from '../physics/great-circle.ts';
import type { TraceCounts, VantageOverride, VantageRecord, VantageSample } from '../store/vantage-store.ts';

/**
 * Where an agent is, checked rather than believed (pure). Every RTT reading is a disc: what answered in r ms is
 * within r x km-per-ms of the agent. A reading is CONSISTENT with the agent's claimed location when the claim
 * lies inside its disc (widened by the uncertainty of the disc's centre).
 *
 * Two strengths of evidence:
 * - physics: the lowest RTT between this agent and another VERIFIED agent (the mesh; that agent's own radius
 *   widens the disc), or to a landmark whose position the operator stated;
 * - database: the first public hop of the agent's own traces where a City database placed it at city level
 *   (widened by DATABASE_RADIUS_KM: databases misplace routers, so they never contradict on their own).
 *
 * The status:
 * - `contradicted`: a physics disc excludes the claim. The reason gives the numbers.
 * - `verified`: nothing contradicts it, and at least one independent source places it: a consistent physics
 *   disc, or consistent database evidence with no database reading against it. Only TIGHT discs (at most
 *   VERIFY_RADIUS_KM) verify: a 100 ms reply is consistent with half the planet and proves nothing.
 *   An operator's override verifies too (recorded with who, when and why; the evidence is still shown).
 * - `unverified`: anything else (no claim, no tight evidence yet, or databases that disagree with it).
 * Readings of unverified or contradicted agents are listed but not counted.
 *
 * An agent whose recent traces are often implausible (server/plausibility: no real tool prints them) is not
 * believed about its own readings either: at IMPLAUSIBLE_MIN such traces and IMPLAUSIBLE_SHARE of its traces in
 * the last RECENT_TRACES_MS, what it measured itself cannot verify it (each such reading says so in its label);
 * it can still contradict its claim, and what verified agents measured of it still counts.
 */

/** The widest disc that can verify a claim (5 ms at 100 km per ms). */
export const VERIFY_RADIUS_KM = 500;
/** The uncertainty of a city-level database placement of a router. */
export const DATABASE_RADIUS_KM = 100;
/** How many implausible traces, and what share of the recent ones, make an agent's own readings untrusted. */
export const IMPLAUSIBLE_MIN = 5;
export const IMPLAUSIBLE_SHARE = 0.2;
/** The window of "recent" traces for that share. */
export const RECENT_TRACES_MS = 7 * 24 * 3600 * 1000;

export interface VantageAgent {
  id: string;
  name: string;
  tokenId: number;
  owner: string | null;
  location: LatLon | null;
  /** The public address the coordinator saw it connect from. */
  address: string | null;
}

/** What is believed about another agent, for the mesh. */
export interface PeerView {
  name: string;
  location: LatLon | null;
  status: LocationStatus;
  radiusKm: number | null;
}

export interface VantageInput {
  agent: VantageAgent;
  /** Its own samples and the mesh samples naming it (vantage-store.ts). */
  samples: readonly VantageSample[];
  peers: ReadonlyMap<string, PeerView>;
  override: VantageOverride | null;
  /** Its traces in the last RECENT_TRACES_MS (vantage-store.ts traceCounts). */
  traces: TraceCounts;
  kmPerMs: number;
  now: number;
}

/** Why the agent's own readings cannot verify it, or null when they can. */
export function distrustOfOwnTraces({ traces, implausible }: TraceCounts): string | null {
  if (implausible < IMPLAUSIBLE_MIN || implausible < IMPLAUSIBLE_SHARE * traces) return null;
  return `${implausible} of its ${traces} recent traces are implausible`;
}

/** A reading, and whether the agent measured it itself (a mesh reading may be the peer's). */
interface Reading {
  item: VantageEvidenceItem;
  own: boolean;
}

const km = (n: number) => `${Math.round(n).toLocaleString('en-US')} km`;
const at = (p: LatLon) => `${p.lat.toFixed(2)},${p.lon.toFixed(2)}`;

function readingsOf(input: VantageInput, claim: LatLon): Reading[] {
  const items: Reading[] = [];
  for (const s of input.samples) {
    const bound = s.rttMs * input.kmPerMs;
    if (s.kind === 'mesh') {
      const peerId = s.agentId === input.agent.id ? s.subject : s.agentId;
      const peer = input.peers.get(peerId);
      if (peer === undefined || peer.location === null) continue;
      const distanceKm = greatCircleKm(claim, peer.location);
      const boundKm = bound + (peer.radiusKm ?? 0);
      items.push({
        own: s.agentId === input.agent.id,
        item: {
          kind: 'mesh',
          subject: peerId,
          label: `${peer.status} agent ${peer.name}`,
          position: { lat: peer.location.lat, lon: peer.location.lon },
          rttMs: s.rttMs,
          boundKm,
          distanceKm,
          consistent: distanceKm <= boundKm,
          strength: 'physics',
          counted: peer.status === 'verified',
        },
      });
      continue;
    }
    if (s.lat === null || s.lon === null || s.agentId !== input.agent.id) continue;
    const position = { lat: s.lat, lon: s.lon };
    const distanceKm = greatCircleKm(claim, position);
    const landmark = s.kind === 'landmark';
    const boundKm = bound + (landmark ? 0 : DATABASE_RADIUS_KM);
    items.push({
      own: true,
      item: {
        kind: s.kind,
        subject: s.subject,
        label: landmark
          ? `landmark ${s.subject}`
          : `first public hop ${s.subject}${s.city === null ? '' : ` (${s.city})`}`,
        position,
        rttMs: s.rttMs,
        boundKm,
        distanceKm,
        consistent: distanceKm <= boundKm,
        strength: landmark ? 'physics' : 'database',
        counted: true,
      },
    });
  }
  return items.sort((a, b) => a.item.boundKm - b.item.boundKm);
}

function decide(
  claim: LatLon | null,
  readings: readonly Reading[],
  distrust: string | null,
): { status: LocationStatus; reason: string; radiusKm: number | null } {
  if (claim === null) return { status: 'unverified', reason: 'no location claimed', radiusKm: null };
  const items = readings.map((r) => r.item);
  const counted = items.filter((i) => i.counted);
  const against = counted.find((i) => i.strength === 'physics' && !i.consistent);
  if (against) {
    return {
      status: 'contradicted',
      reason:
        `claims ${at(claim)}; ${against.rttMs} ms from ${against.label} puts it within ${km(against.boundKm)} ` +
        `of ${at(against.position)}, ${km(against.distanceKm)} from the claim`,
      radiusKm: null,
    };
  }
  // Only readings that may verify: with its own traces distrusted, just what others measured of it.
  const verifying = readings
    .filter((r) => r.item.counted && !(distrust !== null && r.own))
    .map((r) => r.item);
  const tight = verifying.filter((i) => i.consistent && i.boundKm <= VERIFY_RADIUS_KM);
  const physics = tight.find((i) => i.strength === 'physics');
  const databaseAgainst = counted.find((i) => i.strength === 'database' && !i.consistent);
  const database = databaseAgainst ? undefined : tight.find((i) => i.strength === 'database');
  const by = physics ?? database;
  if (by) {
    return {
      status: 'verified',
      reason: `claims ${at(claim)}; ${by.rttMs} ms to ${by.label} puts it within ${km(by.boundKm)} of ${at(by.position)}, ${km(by.distanceKm)} from the claim`,
      radiusKm: Math.min(...tight.map((i) => i.boundKm)),
    };
  }
  if (databaseAgainst) {
    return {
      status: 'unverified',
      reason: `claims ${at(claim)}; the databases place ${databaseAgainst.label} ${km(databaseAgainst.distanceKm)} away, beyond its ${databaseAgainst.rttMs} ms (${km(databaseAgainst.boundKm)})`,
      radiusKm: null,
    };
  }
  if (distrust !== null) {
    return {
      status: 'unverified',
      reason: `claims ${at(claim)}; its own readings cannot verify it: ${distrust}`,
      radiusKm: null,
    };
  }
  return {
    status: 'unverified',
    reason: `claims ${at(claim)}; no reading within ${km(VERIFY_RADIUS_KM)} from a verified source yet`,
    radiusKm: null,
  };
}

/** The agent's status, its evidence and its witness facts. */
export function evaluateVantage(input: VantageInput): VantageRecord {
  const { agent, override } = input;
  const claim = agent.location;
  const distrust = distrustOfOwnTraces(input.traces);
  const readings = claim === null ? [] : readingsOf(input, claim);
  const decided = decide(claim, readings, distrust);
  // The evidence list says which readings could not verify, and why.
  const evidence = readings.map(({ item, own }) =>
    distrust !== null && own ? { ...item, label: `${item.label} (cannot verify: ${distrust})` } : item,
  );
  const overridden = override !== null;
  const location: AgentLocationItem = {
    status: overridden ? 'verified' : decided.status,
    reason: overridden
      ? `verified by ${override.by} at ${new Date(override.at).toISOString()}: ${override.note} (the evidence says: ${decided.status}, ${decided.reason})`
      : decided.reason,
    radiusKm: overridden ? (decided.radiusKm ?? 0) : decided.radiusKm,
    evidence,
    override: overridden
      ? { by: override.by, note: override.note, at: new Date(override.at).toISOString() }
      : null,
    evaluatedAt: new Date(input.now).toISOString(),
  };
  // The access network: the lowest first public hop close enough to be the agent's own provider.
  const access = input.samples
    .filter(
      (s) => s.kind === 'first-hop' && s.agentId === agent.id && s.rttMs * input.kmPerMs <= VERIFY_RADIUS_KM,
    )
    .sort((a, b) => a.rttMs - b.rttMs)[0];
  return {
    agentId: agent.id,
    status: location.status,
    owner: agent.owner ?? `token:${agent.tokenId}`,
    addressPrefix: destinationPrefix(agent.address),
    asn: access?.asn ?? null,
    city: access?.city ?? null,
    location,
    evaluatedAt: input.now,
  };
}
