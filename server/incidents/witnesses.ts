import type { TraceObservation, VantageFacts, Witness } from './types.ts';

/**
 * Witnesses of an incident, pure. One person with many agents must not be able to publish an incident, so an
 * incident is corroborated only when `corroboration` INDEPENDENT, VERIFIED vantage points saw it. Two
 * witnesses are independent when all three differ: the token's owner, the /24 (/48) of the agent's public
 * address, and that network's origin ASN. An unknown owner or address block proves nothing, so a witness
 * missing either is independent of no one; an unknown ASN (an address no ASN database knows, a lab on
 * loopback) cannot show a shared network, so only the owner and the block decide then.
 *
 * Of one owner's agents in one ASN and city, at most `maxWitnessesPerOwner` count (as Globalping caps probes
 * per user, ASN and city): the first to have seen it.
 */

export interface CorroborationRules {
  /** Independent verified witnesses needed; 1 publishes every incident at once. */
  corroboration: number;
  maxWitnessesPerOwner: number;
}

export const DEFAULT_CORROBORATION_RULES: CorroborationRules = { corroboration: 2, maxWitnessesPerOwner: 2 };

/** Witnesses kept per incident: far more than any corroboration needs, and a bound on the row. */
export const MAX_WITNESSES_KEPT = 100;

/** Independent sets are searched among at most this many verified witnesses (the first to have seen it). */
const SEARCH_LIMIT = 32;

/** The witness an observation makes, from what the store knows of its agent (nothing for imports). */
export function witnessOf(o: TraceObservation, subject: string, facts: VantageFacts | undefined): Witness {
  return {
    subject,
    agentId: o.agentId,
    owner: facts?.owner ?? null,
    addressPrefix: facts?.addressPrefix ?? null,
    asn: facts?.asn ?? null,
    city: facts?.city ?? null,
    // Imports and agents never evaluated are unverified: they are shown, they do not corroborate.
    status: facts?.status ?? 'unverified',
    firstSeen: o.startedAt,
    lastSeen: o.startedAt,
    traces: 1,
  };
}

/** The list after one more sighting: a known witness takes the newer facts and counts the trace. */
export function addWitness(list: readonly Witness[], w: Witness): Witness[] {
  const i = list.findIndex((x) => x.subject === w.subject);
  if (i < 0) {
    const next = [...list, w].sort((a, b) => a.firstSeen - b.firstSeen);
    return next.slice(0, MAX_WITNESSES_KEPT);
  }
  const old = list[i] as Witness;
  const newer = w.lastSeen >= old.lastSeen;
  const merged: Witness = {
    ...(newer ? w : old),
    firstSeen: Math.min(old.firstSeen, w.firstSeen),
    lastSeen: Math.max(old.lastSeen, w.lastSeen),
    traces: old.traces + w.traces,
  };
  const next = list.map((x, j) => (j === i ? merged : x));
  return next.sort((a, b) => a.firstSeen - b.firstSeen);
}

/** The witnesses that count: at most `maxPerOwner` per (owner, ASN, city), first seen first. */
export function countedWitnesses(list: readonly Witness[], maxPerOwner: number): Witness[] {
  const perGroup = new Map<string, number>();
  const counted: Witness[] = [];
  for (const w of [...list].sort((a, b) => a.firstSeen - b.firstSeen)) {
    // A witness without an owner (an import) is its own group.
    const group = w.owner === null ? `subject:${w.subject}` : `${w.owner}\n${w.asn}\n${w.city}`;
    const n = perGroup.get(group) ?? 0;
    if (n >= maxPerOwner) continue;
    perGroup.set(group, n + 1);
    counted.push(w);
  }
  return counted;
}

export function independent(a: Witness, b: Witness): boolean {
  if (a.owner === null || b.owner === null || a.addressPrefix === null || b.addressPrefix === null)
    return false;
  if (a.owner === b.owner || a.addressPrefix === b.addressPrefix) return false;
  return a.asn === null || b.asn === null || a.asn !== b.asn;
}

/** Whether some `n` of these witnesses are pairwise independent (a small exact search). */
function hasIndependentSet(list: readonly Witness[], n: number): boolean {
  const chosen: Witness[] = [];
  const search = (from: number): boolean => {
    if (chosen.length >= n) return true;
    for (let i = from; i < list.length; i++) {
      if (list.length - i < n - chosen.length) return false;
      const w = list[i] as Witness;
      if (!chosen.every((c) => independent(c, w))) continue;
      chosen.push(w);
      if (search(i + 1)) return true;
      chosen.pop();
    }
    return false;
  };
  return search(0);
}

/** Whether these witnesses corroborate the incident under `rules`. */
export function corroborates(list: readonly Witness[], rules: CorroborationRules): boolean {
  if (rules.corroboration <= 1) return true;
  const verified = countedWitnesses(list, rules.maxWitnessesPerOwner)
    .filter((w) => w.status === 'verified')
    .slice(0, SEARCH_LIMIT);
  return hasIndependentSet(verified, rules.corroboration);
}
