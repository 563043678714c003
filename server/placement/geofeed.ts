/**
 * Location corrections as a geofeed-like CSV (pure). The first five columns are RFC 8805's own,
 * `ip_prefix,alpha2code,region,city,postal_code` (one address per line, as /32 or /128; region ISO 3166-2;
 * postal code left empty, as RFC 8805 deprecates it), so a geofeed reader that takes those five sees a plain
 * geofeed. Columns 6 to 8 are detourwatch's: `lat,lon,note` (decimal degrees; the operator's reason). Lines
 * starting with `#` are comments; fields with a comma or a quote are quoted as RFC 4180 says.
 */
import { parseIp } from '../../protocol/address/parse.ts';
import { describeError } from '../../protocol/errors.ts';
import type { CorrectionPlace } from '../../protocol/location-corrections.ts';
import { parseCountryCode } from '../../protocol/values/country.ts';
import { latLon } from '../../protocol/values/lat-lon.ts';
import type { StoredCorrection } from '../store/location-correction-store.ts';

export const GEOFEED_COLUMNS = [
  'ip_prefix',
  'alpha2code',
  'region',
  'city',
  'postal_code',
  'lat',
  'lon',
  'note',
];

/** One line of a file as read: the correction it asks for, or why it cannot. */
export type GeofeedLine =
  | { line: number; ip: string; place: CorrectionPlace; note: string }
  | { line: number; error: string };

const NOTE_MAX = 1000;

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The file for these corrections, a header comment first. */
export function geofeedText(corrections: readonly StoredCorrection[], exportedAt: string): string {
  const lines = [
    `# detourwatch location corrections, exported ${exportedAt}`,
    '# RFC 8805 geofeed columns 1-5 (ip_prefix,alpha2code,region,city,postal_code); detourwatch columns 6-8 (lat,lon,note)',
    ...corrections.map((c) => {
      const prefix = `${c.ip}/${c.ip.includes(':') ? 128 : 32}`;
      const cells = [
        prefix,
        c.country,
        c.region ?? '',
        c.city ?? '',
        '',
        String(c.lat),
        String(c.lon),
        c.note,
      ];
      return cells.map(field).join(',');
    }),
  ];
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 fields of one line; null when a quote is left open (a field spanning lines is not taken). */
function splitCsv(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return null;
        const ch = line[i] as string;
        if (ch === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      if (i < line.length && line[i] !== ',') return null;
    } else {
      const end = line.indexOf(',', i);
      value = end === -1 ? line.slice(i) : line.slice(i, end);
      i = end === -1 ? line.length : end;
    }
    fields.push(value.trim());
    if (i >= line.length) return fields;
    i++;
  }
}

function address(prefix: string): string {
  const [text, length, ...rest] = prefix.split('/');
  const ip = parseIp(text ?? '');
  if (ip === null || rest.length > 0) throw new Error(`${JSON.stringify(prefix)} is not an IP address`);
  const full = ip.version === 4 ? '32' : '128';
  if (length !== undefined && length !== full) {
    throw new Error(`${prefix} is a prefix: a correction names one router address (/${full})`);
  }
  return ip.address;
}

function readLine(cells: string[]): Omit<Extract<GeofeedLine, { ip: string }>, 'line'> {
  if (cells.length < 7) {
    throw new Error(
      `${cells.length} columns: detourwatch needs ${GEOFEED_COLUMNS.slice(0, 7).join(',')}[,note] (a point to test against the RTTs)`,
    );
  }
  if (cells.length > 8) throw new Error(`${cells.length} columns; at most 8 (${GEOFEED_COLUMNS.join(',')})`);
  const [prefix, country, region, city, , lat, lon, note] = cells as [string, ...string[]];
  const ip = address(prefix);
  const cc = parseCountryCode(country ?? '');
  const regionCode = region === '' || region === undefined ? null : region.toUpperCase();
  if (regionCode !== null && !/^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(regionCode)) {
    throw new Error(`region ${JSON.stringify(region)} is not ISO 3166-2 (like US-TX)`);
  }
  const latNum = lat === '' ? Number.NaN : Number(lat);
  const lonNum = lon === '' ? Number.NaN : Number(lon);
  const point = latLon(latNum, lonNum);
  const text = (note ?? '').trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (text.length > NOTE_MAX || /[\x00-\x1f\x7f]/.test(text)) {
    throw new Error(`the note must be at most ${NOTE_MAX} printable characters`);
  }
  return {
    ip,
    place: { ...point, country: cc, region: regionCode, city: city === '' ? null : (city ?? null) },
    note: text === '' ? 'imported from a geofeed' : text,
  };
}

/** Every line that asks for something, numbered as in the file (1-based), read or refused. */
export function parseGeofeed(text: string): GeofeedLine[] {
  const out: GeofeedLine[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const cells = splitCsv(trimmed);
    if (cells === null) {
      out.push({ line, error: 'a quoted field is not closed on its line' });
      return;
    }
    try {
      const read = readLine(cells);
      const first = seen.get(read.ip);
      if (first !== undefined) {
        out.push({ line, error: `${read.ip} is corrected on line ${first} already` });
        return;
      }
      seen.set(read.ip, line);
      out.push({ line, ...read });
    } catch (err) {
      out.push({ line, error: err instanceof Error ? err.message : describeError(err) });
    }
  });
  return out;
}
