import { DetourwatchError } from '../../protocol/errors.ts';
import { jsonValues } from './json-values.ts';

export interface ProbePosition {
  lat: number;
  lon: number;
}

/** RIPE Atlas probe id -> where the probe is. */
export type ProbeLocations = Map<number, ProbePosition>;

const MAX_PROBE_ID = 2 ** 31 - 1;
/** A probe object is a few kilobytes; anything much larger is not one. */
const MAX_PROBE_CHARS = 1024 * 1024;

const isProbeId = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_PROBE_ID;

function position(lat: unknown, lon: unknown): ProbePosition | null {
  if (typeof lat !== 'number' || typeof lon !== 'number') return null;
  if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) return null;
  return { lat, lon };
}

/** `--probe-location ID=LAT,LON`. */
export function parseProbeLocation(text: string): [number, ProbePosition] {
  const m = /^(\d+)=(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(text.trim());
  const id = m ? Number(m[1]) : Number.NaN;
  const pos = m ? position(Number(m[2]), Number(m[3])) : null;
  if (!isProbeId(id) || pos === null) {
    throw new DetourwatchError(
      'USAGE',
      `--probe-location must be ID=LAT,LON (a probe id, then decimal degrees on Earth, e.g. 6001=47.61,-122.33), not "${text}"`,
    );
  }
  return [id, pos];
}

/**
 * One probe of a RIPE Atlas probe archive: `{"id": 6001, "geometry": {"type": "Point", "coordinates": [lon, lat]}}`
 * (GeoJSON order: longitude first). Null when the probe has no usable location (some have none); an error when
 * the value is not a probe at all.
 */
export function probeFromArchive(value: unknown, where: string): [number, ProbePosition] | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DetourwatchError('PARSE_FAILED', `${where}: a probe must be a JSON object`);
  }
  const { id, geometry } = value as { id?: unknown; geometry?: unknown };
  if (!isProbeId(id))
    throw new DetourwatchError('PARSE_FAILED', `${where}: "id" must be a probe id (a positive integer)`);
  if (typeof geometry !== 'object' || geometry === null) return null;
  const { type, coordinates } = geometry as { type?: unknown; coordinates?: unknown };
  if (type !== 'Point' || !Array.isArray(coordinates) || coordinates.length < 2) return null;
  const pos = position(coordinates[1], coordinates[0]);
  return pos === null ? null : [id, pos];
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
