import type { DetourItem } from '../../protocol/history-api.ts';
import type { CsvValue } from './csv.ts';

/** The flat columns of a detour, shared by the CSV export and the command line's table. Lists join with `;`. */
export interface DetourColumn {
  name: string;
  value: (d: DetourItem) => CsvValue;
}

const list = (values: readonly (string | number | null)[]): string => values.map((v) => v ?? '').join(';');

export const DETOUR_COLUMNS: readonly DetourColumn[] = [
  { name: 'id', value: (d) => d.id },
  { name: 'started_at', value: (d) => d.startedAt },
  { name: 'origin', value: (d) => d.origin },
  { name: 'agent_id', value: (d) => d.agentId },
  { name: 'agent_name', value: (d) => d.agentName },
  { name: 'source_ip', value: (d) => d.sourceIp },
  { name: 'destination_ip', value: (d) => d.destinationIp },
  { name: 'destination_name', value: (d) => d.destinationName },
  { name: 'confidence', value: (d) => d.confidence },
  { name: 'countries', value: (d) => list(d.countries) },
  { name: 'foreign_countries', value: (d) => list(d.foreignCountries) },
  { name: 'foreign_asns', value: (d) => list(d.foreignAsns) },
  { name: 'foreign_orgs', value: (d) => list([...new Set(d.foreignHops.map((h) => h.org))]) },
  { name: 'foreign_hop_ips', value: (d) => list(d.foreignHops.map((h) => h.ip)) },
  { name: 'foreign_hop_rtts_ms', value: (d) => list(d.foreignHops.map((h) => rounded(h.rttMs, 3))) },
  { name: 'foreign_hop_min_rtts_ms', value: (d) => list(d.foreignHops.map((h) => rounded(h.minRttMs, 1))) },
  { name: 'extra_km', value: (d) => rounded(d.extraKm, 1) },
  { name: 'incident_id', value: (d) => d.incidentId },
  { name: 'reason', value: (d) => d.reason },
];

/** RTTs to the microsecond (what the tools print), distances to 100 m: more digits are noise. */
function rounded(v: number | null, digits: number): number | null {
  return v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits;
}
