import type { HopReading } from '../../protocol/verdict.ts';
import type { TraceEvidence } from './bundle-document.ts';
import type { DrawnPoint, DrawnRoute, PointKind } from './svg-map.ts';

const DRAWN: ReadonlySet<string> = new Set<PointKind>(['home', 'foreign-confirmed', 'foreign-probable']);

function hopLabel(h: HopReading): string {
  const place = [h.city, h.country].filter((p) => p !== null).join(', ');
  const asn = h.asn === null ? '' : ` AS${h.asn}`;
  const rtt = h.rttMs === null ? '' : `, ${h.rttMs} ms`;
  return `TTL ${h.ttl} ${h.ip ?? '*'} ${place}${asn} (${h.status}${h.precision === 'country' ? ', country level' : ''}${rtt})`;
}

const at = (p: DrawnPoint) =>
  `${p.kind}/${p.approximate ? 'c' : 'p'}@${p.lat.toFixed(2)},${p.lon.toFixed(2)}`;

/**
 * The distinct routes of the traces as the map draws them: the prober, then every hop with an accepted
 * location (home, foreign confirmed or probable) in TTL order; refuted claims apart. Traces that took the
 * same route (same places, same readings, to 0.01 degree) are drawn once, with their count.
 */
export function reportRoutes(traces: readonly TraceEvidence[]): DrawnRoute[] {
  const routes = new Map<string, DrawnRoute & { ids: number[] }>();
  for (const t of traces) {
    const points: DrawnPoint[] = [];
    const position = t.source.position;
    if (position) {
      points.push({
        ...position,
        kind: 'source',
        approximate: false,
        label: `prober ${t.agentId ?? t.source.ip ?? ''} (trace #${t.id})`,
      });
    }
    const refuted: DrawnPoint[] = [];
    for (const h of [...t.verdict.hops].sort((a, b) => a.ttl - b.ttl)) {
      if (h.lat === null || h.lon === null) continue;
      const point = {
        lat: h.lat,
        lon: h.lon,
        approximate: h.precision === 'country',
        label: hopLabel(h),
      };
      if (DRAWN.has(h.status)) points.push({ ...point, kind: h.status as PointKind });
      // A refuted claim is drawn as a grey cross whatever its kind says.
      else if (h.status === 'refuted')
        refuted.push({ ...point, kind: 'home', label: `refuted claim: ${point.label}` });
    }
    if (points.length === 0 && refuted.length === 0) continue;
    const key = [...points.map(at), '|', ...refuted.map(at)].join(' ');
    const found = routes.get(key);
    if (found) {
      found.count += 1;
      found.ids.push(t.id);
    } else {
      routes.set(key, { points, refuted, count: 1, label: '', ids: [t.id] });
    }
  }
  return [...routes.values()].map(({ ids, ...route }) => ({
    ...route,
    label: `${route.count} trace(s): #${ids.slice(0, 20).join(', #')}${ids.length > 20 ? ', ...' : ''}`,
  }));
}
