import type { PlacementClaim } from '../protocol/annotated.ts';
import type { LocationReport } from '../protocol/locations-api.ts';
import { cellText, printable, tableLines } from './text-table.ts';

const km = (x: number | null): string => (x === null ? '-' : Math.round(x).toLocaleString('en-US'));

function placeOf(p: { city: string | null; country: string | null }): string {
  return p.city ? `${printable(p.city)} (${p.country ?? '?'})` : (p.country ?? 'an unknown place');
}

const indent = (lines: string[]) => lines.map((l) => `  ${l}`);

function claimRow(c: PlacementClaim): string[] {
  return [
    c.source,
    c.rule ?? '-',
    cellText(c.token, 16),
    cellText(placeOf(c), 32),
    `${km(c.radiusKm)}`,
    c.status,
    printable(c.why),
  ];
}

/** `detourwatch locations show`: the report as text, every claim, constraint and the decision. */
export function locationLines(r: LocationReport): string[] {
  const lines: string[] = [];
  const asn = r.asn ? ` (AS${r.asn.asn}${r.asn.org ? ` ${printable(r.asn.org)}` : ''})` : '';
  lines.push(`address:     ${r.ip}${asn}`);
  lines.push(`hostname:    ${r.hostname === null ? 'none known' : printable(r.hostname)}`);
  const db = r.database;
  lines.push(
    `database:    ${
      db === null
        ? 'no answer'
        : `${printable(db.database)} says ${placeOf(db)} at ${db.lat},${db.lon}, ${db.precision} level` +
          (db.accuracyKm === null ? '' : `, accuracy ${km(db.accuracyKm)} km`)
    }`,
  );
  const c = r.correction;
  lines.push(
    `correction:  ${c === null ? 'none' : `${placeOf(c)} at ${c.lat},${c.lon} by ${printable(c.by)} at ${c.at}: ${printable(c.note)}`}`,
  );
  if (r.hostnameReadings.length === 0) lines.push('readings:    none');
  else {
    lines.push('readings:');
    lines.push(
      ...indent(
        tableLines(
          ['RULE', 'TOKEN', 'PLACES', 'NOTE'],
          r.hostnameReadings.map((h) => [
            h.rule,
            cellText(h.token, 16),
            cellText(h.places.map(placeOf).join(', '), 60),
            h.dropped === null ? '' : `set aside: ${printable(h.dropped)}`,
          ]),
        ),
      ),
    );
  }
  if (r.constraints.length === 0) lines.push('constraints: none (no verified agent has measured it)');
  else {
    lines.push(`constraints: verified agents' lowest RTTs, ${r.kmPerMs} km per ms of RTT:`);
    lines.push(
      ...indent(
        tableLines(
          ['VANTAGE', 'AT', 'MIN RTT MS', 'WITHIN KM', 'MEASURED'],
          r.constraints.map((k) => [
            printable(k.vantage),
            `${k.lat},${k.lon}`,
            String(k.minRttMs),
            km(k.radiusKm),
            k.at,
          ]),
        ),
      ),
    );
  }
  const g = r.region;
  const home = r.homeCountries.join(',');
  const region =
    g.discs === 0
      ? 'unbounded (no constraint)'
      : `${g.discs} disc(s), the tightest within ${km(g.tightestKm)} km of ${printable(g.tightestVantage ?? '?')}; ` +
        (g.atHome === null
          ? 'not tested against home (too wide, or no city in it)'
          : `${g.feasibleCities} feasible cities, ${g.atHome ? `all at home (${home})` : `not all at home: ${g.abroad}`}` +
            (g.examples.length > 0 ? `, such as ${g.examples.join(', ')}` : ''));
  lines.push(`region:      ${region}`);
  lines.push('claims:');
  lines.push(
    ...indent(
      tableLines(
        ['SOURCE', 'RULE', 'TOKEN', 'PLACE', 'WITHIN KM', 'STATUS', 'WHY'],
        r.decision.claims.map(claimRow),
      ),
    ),
  );
  const at = r.decision.location;
  lines.push(
    `decision:    ${r.decision.source}: ${at === null ? 'not placed' : `${placeOf(at)} at ${at.lat},${at.lon}`}`,
  );
  lines.push(`reason:      ${printable(r.decision.reason)}`);
  return lines;
}
