import { DetourwatchError } from '../../protocol/errors.ts';
import type { Position } from '../../protocol/messages.ts';
import { latLon, parseLatLon } from '../../protocol/values/lat-lon.ts';
import { parseIntIn } from '../../protocol/values/number.ts';
import { quote } from '../../protocol/values/quote.ts';
import { jsonValues } from './json-values.ts';

/** RIPE Atlas probe id -> where the probe is. */
export type ProbeLocations = Map<number, Position>;

const MAX_PROBE_ID = 2 ** 31 - 1;
/** A probe object is a few kilobytes; anything much larger is not one. */
const MAX_PROBE_CHARS = 1024 * 1024;

const isProbeId = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_PROBE_ID;

/** A probe archive's coordinates, or null when they are missing or off the Earth (some probes have none). */
function position(lat: unknown, lon: unknown): Position | null {
  if (typeof lat !== 'number' || typeof lon !== 'number') return null;
  try {
    return latLon(lat, lon);
  } catch {
    return null;
  }
}

/** `--probe-location ID=LAT,LON`; the message names the flag, since the form is this flag's own. */
export function parseProbeLocation(text: string): [number, Position] {
  const eq = text.indexOf('=');
  try {
    if (eq === -1) throw new DetourwatchError('USAGE', 'there is no "="');
    return [parseIntIn(text.slice(0, eq), 1, MAX_PROBE_ID), parseLatLon(text.slice(eq + 1))];
  } catch (err) {
    if (!(err instanceof DetourwatchError)) throw err;
    throw new DetourwatchError(
      'USAGE',
      `--probe-location must be ID=LAT,LON (a probe id, then decimal degrees on Earth, e.g. 6001=47.61,-122.33), not ${quote(text)}: ${err.message}`,
    );
  }
}

/**
 * One probe of a RIPE Atlas probe list, in either of its forms: the API's (`/api/v2/probes/`)
 * `{"id": 6001, "geometry": {"type": "Point", "coordinates": [lon, lat]}}` (GeoJSON order: longitude first), or
 * the daily archive's (ftp.ripe.net/ripe/atlas/probes/archive/) plain `{"id": 6001, "latitude": 47.61,
 * "longitude": -122.33}`. The geometry wins when both are there. Null when the probe has no usable location
 * (some have none, or null ones); an error when the value is not a probe at all.
 */
export function probeFromArchive(value: unknown, where: string): [number, Position] | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DetourwatchError('PARSE_FAILED', `${where}: a probe must be a JSON object`);
  }
  const { id, geometry, latitude, longitude } = value as {
    id?: unknown;
    geometry?: unknown;
    latitude?: unknown;
    longitude?: unknown;
  };
  if (!isProbeId(id))
    throw new DetourwatchError('PARSE_FAILED', `${where}: "id" must be a probe id (a positive integer)`);
  const pos = geometryPosition(geometry) ?? position(latitude, longitude);
  return pos === null ? null : [id, pos];
}

/** A GeoJSON Point's position, or null when it is missing or not a usable point. */
function geometryPosition(geometry: unknown): Position | null {
  if (typeof geometry !== 'object' || geometry === null) return null;
  const { type, coordinates } = geometry as { type?: unknown; coordinates?: unknown };
  if (type !== 'Point' || !Array.isArray(coordinates) || coordinates.length < 2) return null;
  return position(coordinates[1], coordinates[0]);
}

export interface ProbeArchiveReport {
  locations: ProbeLocations;
  probes: number;
  withoutLocation: number;
}

/** Reads a probe archive as a stream: `{"objects": [...]}` (the archive's own form) or one probe per line. */
export async function readProbeArchive(
  input: AsyncIterable<string | Uint8Array>,
  name: string,
): Promise<ProbeArchiveReport> {
  const locations: ProbeLocations = new Map();
  let probes = 0;
  let withoutLocation = 0;
  for await (const v of jsonValues(input, { maxValueChars: MAX_PROBE_CHARS, wrapperKey: 'objects' })) {
    let value: unknown;
    try {
      value = JSON.parse(v.text);
    } catch (err) {
      throw new DetourwatchError(
        'PARSE_FAILED',
        `${name} line ${v.line}: not JSON (${(err as Error).message})`,
      );
    }
    probes++;
    const probe = probeFromArchive(value, `${name} line ${v.line}`);
    if (probe === null) withoutLocation++;
    else locations.set(probe[0], probe[1]);
  }
  if (probes === 0) throw new DetourwatchError('INPUT_EMPTY', `${name} holds no probe`);
  return { locations, probes, withoutLocation };
}
