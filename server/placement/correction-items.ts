/** Corrections and change records as the API and the CLI show them (ISO 8601 times). */
import type { LocationCorrectionItem, PlacementChangeItem } from '../../protocol/location-corrections.ts';
import type { PlacementChange, StoredCorrection } from '../store/location-correction-store.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function correctionItem(c: StoredCorrection): LocationCorrectionItem {
  return { ...c, at: new Date(c.at).toISOString() };
}

export function changeItem(c: PlacementChange): PlacementChangeItem {
  return {
    ...c,
    at: new Date(c.at).toISOString(),
    appliedAt: iso(c.appliedAt),
    windowFrom: iso(c.windowFrom),
  };
}

/** The change record as lines of text (the CLI's output). */
export function changeLines(c: PlacementChangeItem): string[] {
  const where = (p: PlacementChangeItem['before']) =>
    p === null ? 'none' : `${p.lat},${p.lon} (${[p.city, p.region, p.country].filter((x) => x).join(', ')})`;
  const lines = [
    `change #${c.id}: ${c.kind} ${c.ip} by ${c.by} at ${c.at}`,
    `  placement: ${where(c.before)} -> ${where(c.after)}`,
  ];
  if (c.state === 'pending') {
    lines.push('  re-judging: pending (a running coordinator judges the recent traces again within seconds)');
    return lines;
  }
  lines.push(
    `  re-judging: ${c.state} at ${c.appliedAt}: ${c.tracesRejudged} trace(s) since ${c.windowFrom} judged again, ` +
      `${c.verdictsChanged} verdict(s) changed${c.error ? `; error: ${c.error}` : ''}`,
  );
  for (const v of c.changes) {
    const side = (s: PlacementChangeItem['changes'][number]['from']) =>
      `${s.verdict}${s.confidence ? ` (${s.confidence})` : ''}${s.foreignCountries.length ? ` via ${s.foreignCountries.join('>')}` : ''}`;
    const incidents = [
      v.leftIncident === null ? null : `left incident #${v.leftIncident}`,
      v.incident === null ? null : `in incident #${v.incident}`,
    ].filter((x) => x !== null);
    lines.push(
      `    trace #${v.traceId}: ${side(v.from)} -> ${side(v.to)}${incidents.length ? `; ${incidents.join(', ')}` : ''}`,
    );
  }
  return lines;
}
