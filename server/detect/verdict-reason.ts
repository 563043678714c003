import type { ForeignHop, HopReading, RefutedHop } from '../../protocol/verdict.ts';

function ms(value: number | null): string {
  return value === null ? 'no' : `${Math.round(value * 10) / 10} ms`;
}

function named(hop: { ttl: number; ip: string }, asn?: number | null): string {
  return `hop ${hop.ttl} (${hop.ip}${asn ? `, AS${asn}` : ''})`;
}

/** One sentence: the strongest foreign hop and what the RTTs say about it. */
export function detourReason(foreignHops: readonly ForeignHop[], homeCountry: string): string {
  const confirmed = foreignHops.find((h) => h.confirmed);
  const lead = confirmed ?? foreignHops[0];
  if (!lead) return `no hop outside ${homeCountry}`;
  const others = foreignHops.length > 1 ? `; ${foreignHops.length} hops abroad in all` : '';
  if (confirmed) {
    return (
      `${named(lead, lead.asn)} is placed in ${lead.country} and the RTTs agree: ${ms(lead.rttMs)} there ` +
      `(at least ${ms(lead.minRttMs)} needed) and every later located ${homeCountry} hop answered slowly ` +
      `enough for a path through it${others}`
    );
  }
  return (
    `the database places ${named(lead, lead.asn)} in ${lead.country} and no RTT contradicts it ` +
    `(${ms(lead.rttMs)}, at least ${ms(lead.minRttMs)} needed), but the later replies do not prove it${others}`
  );
}

/** One sentence: nothing credibly abroad, and which database claim physics threw out. */
export function domesticReason(refutedHops: readonly RefutedHop[], homeCountry: string): string {
  const first = refutedHops[0];
  if (!first) return `every located hop is in ${homeCountry}`;
  const evidence =
    first.reason === 'own-rtt'
      ? `its ${ms(first.rttMs)} RTT says no`
      : first.reason === 'constraint'
        ? `another vantage point says no: the router is ${first.evidence ?? `within ${Math.round(first.maxKm)} km of it`}`
        : `the ${ms(first.rttMs)} reply at hop ${first.refutedByTtl} says no`;
  const more = refutedHops.length > 1 ? ` (${refutedHops.length} claims refuted in all)` : '';
  return (
    `no hop is credibly outside ${homeCountry}: the database says ${named(first)} is in ` +
    `${first.claimedCountry ?? 'another country'}, ${evidence}${more}`
  );
}

/**
 * A clause for the hops whose database country abroad was set aside for a better placement at home (a hostname
 * the RTTs allow, the constraints): "; hop 3 (192.0.2.7) is placed in Dallas (US) by its name (clli "dllstx"),
 * not in MX as the database says". Empty when there is none.
 */
export function placementNote(hops: readonly HopReading[], home: ReadonlySet<string>): string {
  const moved = hops.filter((h) => {
    const p = h.placement;
    if (p === undefined || p.source === 'database' || h.ip === null) return false;
    return p.rejected.some((c) => c.source === 'database' && c.country !== null && !home.has(c.country));
  });
  const first = moved[0];
  if (first?.placement === undefined || first.ip === null) return '';
  const p = first.placement;
  const db = p.rejected.find((c) => c.source === 'database');
  const by =
    p.source === 'hostname'
      ? `by its name (${p.rule} "${p.token}")`
      : p.source === 'constraint'
        ? 'by the RTT constraints'
        : "by an operator's correction";
  const where = first.city ? `${first.city} (${first.country})` : (first.country ?? 'at home');
  const more = moved.length > 1 ? ` (${moved.length} hops placed so in all)` : '';
  return `; ${named({ ttl: first.ttl, ip: first.ip })} is placed in ${where} ${by}, not in ${db?.country} as the database says${more}`;
}
