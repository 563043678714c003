import type { MapHop } from '../../protocol/map-api.ts';

/**
 * The hop table with every TTL from the first to the last: tools leave out TTLs where nothing answered
 * (scamper's JSON lists only replies), and an analyst reading a path must see those silent hops too.
 */
export function withSilentHops(hops: readonly MapHop[]): MapHop[] {
  const out: MapHop[] = [];
  for (const hop of hops) {
    const prev = out[out.length - 1];
    for (let ttl = (prev?.ttl ?? hop.ttl) + 1; prev && ttl < hop.ttl; ttl++) out.push(silent(ttl));
    out.push(hop);
  }
  return out;
}

function silent(ttl: number): MapHop {
  return {
    ttl,
    ip: null,
    name: null,
    asn: null,
    org: null,
    country: null,
    city: null,
    lat: null,
    lon: null,
    precision: null,
    locationSource: null,
    rttMs: null,
    minRttMs: null,
    status: 'no-reply',
  };
}
