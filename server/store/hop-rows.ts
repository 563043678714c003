/**
 * Flattens a trace and its verdict into the rows any store keeps (pure, so SQLite and a later PostgreSQL
 * store write the same thing). One row per distinct responding address per TTL, so load-balanced TTLs
 * keep every responder; a TTL where nothing answered keeps one row with no address.
 */

import type { StoredHop } from '../../protocol/history-api.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';

export interface HopRow extends StoredHop {
  /** Order of the responder within its TTL (first seen first). */
  seq: number;
}

/**
 * A hop credibly abroad on a detour: the small, indexed table that "detours via country X / ASN Y" queries
 * use. Only detours have rows: a foreign-endpoint trace is abroad by design and nothing asks for it by
 * country, yet its hops were nine in ten rows here, which every country lookup waded through.
 */
export interface ForeignHopRow {
  ttl: number;
  ip: string;
  country: string;
  asn: number | null;
  confirmed: boolean;
}

export function hopRows(trace: Trace, verdict: Verdict): HopRow[] {
  const readings = new Map(verdict.hops.map((h) => [h.ttl, h]));
  const foreign = new Map(verdict.foreignHops.map((h) => [`${h.ttl} ${h.ip}`, h]));
  const rows: HopRow[] = [];
  for (const hop of trace.hops) {
    const byAddress = new Map<string, { rttMs: number | null; replies: number }>();
    for (const reply of hop.replies) {
      if (reply.address === null) continue;
      const seen = byAddress.get(reply.address) ?? { rttMs: null, replies: 0 };
      seen.replies += 1;
      if (reply.rttMs !== null && (seen.rttMs === null || reply.rttMs < seen.rttMs)) seen.rttMs = reply.rttMs;
      byAddress.set(reply.address, seen);
    }
    const reading = readings.get(hop.ttl);
    if (byAddress.size === 0) {
      rows.push({
        ttl: hop.ttl,
        seq: 0,
        ip: null,
        rttMs: null,
        replies: 0,
        status: 'no-reply',
        country: null,
        asn: null,
      });
      continue;
    }
    let seq = 0;
    for (const [ip, seen] of byAddress) {
      const f = foreign.get(`${hop.ttl} ${ip}`);
      // The verdict reads one address per TTL; other responders at that TTL keep only what the trace says.
      const read = reading?.ip === ip ? reading : undefined;
      rows.push({
        ttl: hop.ttl,
        seq: seq++,
        ip,
        rttMs: seen.rttMs,
        replies: seen.replies,
        status: read?.status ?? null,
        country: f?.country ?? read?.country ?? null,
        asn: f?.asn ?? read?.asn ?? null,
      });
    }
  }
  return rows;
}

export function foreignHopRows(verdict: Verdict): ForeignHopRow[] {
  if (verdict.verdict !== 'detour') return [];
  return verdict.foreignHops.map((h) => ({
    ttl: h.ttl,
    ip: h.ip,
    country: h.country,
    asn: h.asn,
    confirmed: h.confirmed,
  }));
}

/** Distinct foreign countries in path order (the verdict's `countries` includes home). */
export function foreignCountries(verdict: Verdict): string[] {
  return [...new Set(verdict.foreignHops.map((h) => h.country))];
}
