/**
 * The location-correction group's columns and row mapping, shared by sqlite/location-corrections.ts and
 * pg/location-corrections.ts. Times are epoch ms in both engines.
 */
import type { CorrectionPlace, VerdictChangeItem } from '../../protocol/location-corrections.ts';
import type { EngineName } from '../../protocol/messages.ts';
import type {
  PlacementChange,
  ProberReading,
  RejudgeCandidate,
  StoredCorrection,
} from './location-correction-store.ts';
import { hopItem, type StoredHopRow } from './rows.ts';
import { decodeVerdict } from './verdict-codec.ts';

export const CORRECTION_COLUMNS = 'ip, lat, lon, country, region, city, note, by_whom, at';

export interface CorrectionRow {
  ip: string;
  lat: number;
  lon: number;
  country: string;
  region: string | null;
  city: string | null;
  note: string;
  by_whom: string;
  at: number;
}

export function correctionFromRow(r: CorrectionRow): StoredCorrection {
  return {
    ip: r.ip,
    lat: Number(r.lat),
    lon: Number(r.lon),
    country: r.country,
    region: r.region,
    city: r.city,
    note: r.note,
    by: r.by_whom,
    at: Number(r.at),
  };
}

export function placeOf(c: CorrectionPlace): CorrectionPlace {
  return { lat: c.lat, lon: c.lon, country: c.country, region: c.region, city: c.city };
}

export const CHANGE_COLUMNS = `id, ip, kind, by_whom, at, before_json, after_json, note, state, applied_at,
  window_from, traces_rejudged, verdicts_changed, changes_json, error`;

export interface ChangeRow {
  id: number;
  ip: string;
  kind: PlacementChange['kind'];
  by_whom: string;
  at: number;
  before_json: string | null;
  after_json: string | null;
  note: string | null;
  state: PlacementChange['state'];
  applied_at: number | null;
  window_from: number | null;
  traces_rejudged: number;
  verdicts_changed: number;
  changes_json: string;
  error: string | null;
}

const orNull = (n: number | null): number | null => (n === null ? null : Number(n));

export function changeFromRow(r: ChangeRow): PlacementChange {
  return {
    id: Number(r.id),
    ip: r.ip,
    kind: r.kind,
    by: r.by_whom,
    at: Number(r.at),
    before: r.before_json === null ? null : (JSON.parse(r.before_json) as CorrectionPlace),
    after: r.after_json === null ? null : (JSON.parse(r.after_json) as CorrectionPlace),
    note: r.note,
    state: r.state,
    appliedAt: orNull(r.applied_at),
    windowFrom: orNull(r.window_from),
    tracesRejudged: Number(r.traces_rejudged),
    verdictsChanged: Number(r.verdicts_changed),
    changes: JSON.parse(r.changes_json) as VerdictChangeItem[],
    error: r.error,
  };
}

/** A pending change's columns in CHANGE_COLUMNS order after `id` (the engine numbers it). */
export function pendingChangeParams(
  change: Pick<PlacementChange, 'ip' | 'kind' | 'by' | 'at' | 'before' | 'after' | 'note'>,
): unknown[] {
  return [
    change.ip,
    change.kind,
    change.by,
    change.at,
    change.before === null ? null : JSON.stringify(change.before),
    change.after === null ? null : JSON.stringify(change.after),
    change.note,
  ];
}

/** Readings of one address by prober position: the lowest RTT of each position (rows come lowest first). */
export interface ReadingRow {
  trace_id: number;
  agent_id: string | null;
  agent_name: string | null;
  lat: number;
  lon: number;
  rtt_ms: number;
  started_at: number;
}

export function lowestPerPosition(rows: readonly ReadingRow[], limit: number): ProberReading[] {
  const seen = new Map<string, ProberReading>();
  for (const r of rows) {
    const key = `${r.lat},${r.lon}`;
    if (seen.has(key)) continue;
    seen.set(key, {
      traceId: Number(r.trace_id),
      agentId: r.agent_id,
      agentName: r.agent_name,
      lat: Number(r.lat),
      lon: Number(r.lon),
      rttMs: Number(r.rtt_ms),
      at: Number(r.started_at),
    });
    if (seen.size >= limit) break;
  }
  return [...seen.values()];
}

/** How many reply rows a reading query looks at before grouping (lowest RTTs first). */
export const READING_ROWS = 2000;

export const CANDIDATE_SELECT = `t.id, t.origin, t.agent_id, t.started_at, t.source_ip, t.destination_ip,
  t.destination_name, t.tool, t.method, t.ip_version, t.verdict_json, t.verdict_z, t.hops_purged_at,
  COALESCE(t.source_lat, a.lat) AS lat, COALESCE(t.source_lon, a.lon) AS lon,
  r.engine, r.output, r.target`;

export const CANDIDATE_FROM = `traces t LEFT JOIN agents a ON a.id = t.agent_id
  LEFT JOIN results r ON r.id = t.result_id`;

export interface CandidateRow {
  id: number;
  origin: RejudgeCandidate['origin'];
  agent_id: string | null;
  started_at: number;
  source_ip: string | null;
  destination_ip: string | null;
  destination_name: string | null;
  tool: RejudgeCandidate['tool'];
  method: RejudgeCandidate['method'];
  ip_version: number;
  verdict_json: string;
  verdict_z: Uint8Array | null;
  hops_purged_at: number | null;
  lat: number | null;
  lon: number | null;
  engine: EngineName | null;
  output: string | null;
  target: string | null;
}

export function candidateFromRow(r: CandidateRow, hops: readonly StoredHopRow[]): RejudgeCandidate {
  return {
    traceId: Number(r.id),
    origin: r.origin,
    agentId: r.agent_id,
    startedAt: Number(r.started_at),
    sourcePosition: r.lat === null || r.lon === null ? null : { lat: Number(r.lat), lon: Number(r.lon) },
    sourceIp: r.source_ip,
    destinationIp: r.destination_ip,
    destinationName: r.destination_name,
    tool: r.tool,
    method: r.method,
    ipVersion: Number(r.ip_version) === 6 ? 6 : 4,
    verdict: decodeVerdict(r.verdict_json, r.verdict_z),
    raw:
      r.engine === null || r.output === null || r.output === ''
        ? null
        : { engine: r.engine, output: r.output, target: r.target ?? '' },
    hops: hops.map(hopItem),
  };
}
