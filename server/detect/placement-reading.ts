import type { AddressPlacement } from '../../protocol/annotated.ts';
import type { HopPlacement, RefutedHop } from '../../protocol/verdict.ts';

/** The hop table's account of a placement: which claim placed the hop, and every claim that lost and why. */
export function hopPlacement(placement: AddressPlacement): HopPlacement {
  return {
    source: placement.source,
    hostname: placement.hostname,
    rule: placement.rule,
    token: placement.token,
    reason: placement.reason,
    rejected: placement.claims
      .filter((c) => c.status !== 'chosen')
      .map((c) => ({
        source: c.source,
        rule: c.rule,
        token: c.token,
        country: c.country,
        city: c.city,
        why: `${c.status}: ${c.why}`,
      })),
  };
}

/**
 * A database claim abroad that the placement threw out on physics (the prober's own RTT, or another vantage's:
 * `constraint`), when something else now places the hop. It is kept as evidence like the verdict's own
 * refutations: "the database says MX, the RTT says no". Claims merely outranked by a hostname are not refuted.
 */
export function placementRefutations(
  ttl: number,
  ip: string,
  placement: AddressPlacement,
  home: ReadonlySet<string>,
): RefutedHop[] {
  if (placement.source === 'database') return [];
  const out: RefutedHop[] = [];
  for (const claim of placement.claims) {
    const r = claim.refutation;
    if (claim.source !== 'database' || claim.status !== 'refuted' || r === undefined) continue;
    if (claim.country !== null && home.has(claim.country)) continue;
    out.push({
      ttl,
      ip,
      claimedCountry: claim.country,
      claimedCity: claim.city,
      rttMs: r.rttMs,
      maxKm: r.maxKm,
      claimedKm: r.claimedKm,
      reason: r.byProber ? 'own-rtt' : 'constraint',
      ...(r.byProber
        ? {}
        : {
            evidence: `within ${Math.round(r.maxKm)} km of ${r.vantage} by its ${Math.round(r.rttMs * 10) / 10} ms`,
          }),
    });
  }
  return out;
}
