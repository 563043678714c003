/**
 * The map at scale (issue 21; `npm run bench:map` and the browser tests at 10,000 paths): a City and an ASN database (written with the tests' MMDB writer) that place one
 * public /16 per city, 24 US cities and 84 abroad, and RIPE Atlas traceroutes over them. Path `p` (of N) goes
 * from a US source city through its local router, one or two foreign cities and back to a US destination city,
 * with RTTs that physics allows for each hop (distance / 100 km per ms, inflated): the real analysis judges
 * every one a detour, and each `p` draws a route of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAnalyzer } from '../../../server/analyze/pipeline.ts';
import { pathAsns } from '../../../server/incidents/observation.ts';
import { parseTraceLine } from '../../../server/parse/index.ts';
import type { ImportRecord } from '../../../server/store/trace-store.ts';
import { writeAsnDb, writeCityDb } from '../../helpers/mmdb-writer.ts';

interface City {
  name: string;
  country: string;
  lat: number;
  lon: number;
}

const US: City[] = [
  ['New York', 40.71, -74.01],
  ['Chicago', 41.88, -87.63],
  ['San Francisco', 37.77, -122.42],
  ['Dallas', 32.78, -96.8],
  ['Seattle', 47.61, -122.33],
  ['Atlanta', 33.75, -84.39],
  ['Denver', 39.74, -104.99],
  ['Miami', 25.76, -80.19],
  ['Boston', 42.36, -71.06],
  ['Los Angeles', 34.05, -118.24],
  ['Washington', 38.91, -77.04],
  ['Minneapolis', 44.98, -93.27],
  ['Phoenix', 33.45, -112.07],
  ['Houston', 29.76, -95.37],
  ['Kansas City', 39.1, -94.58],
  ['Salt Lake City', 40.76, -111.89],
  ['Portland', 45.52, -122.68],
  ['Detroit', 42.33, -83.05],
  ['Charlotte', 35.23, -80.84],
  ['St. Louis', 38.63, -90.2],
  ['Nashville', 36.16, -86.78],
  ['Las Vegas', 36.17, -115.14],
  ['Philadelphia', 39.95, -75.17],
  ['San Antonio', 29.42, -98.49],
].map(([name, lat, lon]) => ({
  name: name as string,
  country: 'US',
  lat: lat as number,
  lon: lon as number,
}));

const ABROAD: City[] = (
  [
    ['London', 'GB', 51.51, -0.13],
    ['Manchester', 'GB', 53.48, -2.24],
    ['Frankfurt am Main', 'DE', 50.11, 8.68],
    ['Berlin', 'DE', 52.52, 13.4],
    ['Munich', 'DE', 48.14, 11.58],
    ['Paris', 'FR', 48.86, 2.35],
    ['Marseille', 'FR', 43.3, 5.37],
    ['Amsterdam', 'NL', 52.37, 4.9],
    ['Brussels', 'BE', 50.85, 4.35],
    ['Zurich', 'CH', 47.38, 8.54],
    ['Milan', 'IT', 45.46, 9.19],
    ['Rome', 'IT', 41.9, 12.5],
    ['Madrid', 'ES', 40.42, -3.7],
    ['Lisbon', 'PT', 38.72, -9.14],
    ['Dublin', 'IE', 53.35, -6.26],
    ['Stockholm', 'SE', 59.33, 18.07],
    ['Oslo', 'NO', 59.91, 10.75],
    ['Copenhagen', 'DK', 55.68, 12.57],
    ['Helsinki', 'FI', 60.17, 24.94],
    ['Warsaw', 'PL', 52.23, 21.01],
    ['Prague', 'CZ', 50.08, 14.44],
    ['Vienna', 'AT', 48.21, 16.37],
    ['Budapest', 'HU', 47.5, 19.04],
    ['Bucharest', 'RO', 44.43, 26.1],
    ['Sofia', 'BG', 42.7, 23.32],
    ['Athens', 'GR', 37.98, 23.73],
    ['Istanbul', 'TR', 41.01, 28.98],
    ['Moscow', 'RU', 55.76, 37.62],
    ['Saint Petersburg', 'RU', 59.93, 30.34],
    ['Kyiv', 'UA', 50.45, 30.52],
    ['Tel Aviv', 'IL', 32.09, 34.78],
    ['Dubai', 'AE', 25.2, 55.27],
    ['Riyadh', 'SA', 24.71, 46.68],
    ['Cairo', 'EG', 30.04, 31.24],
    ['Lagos', 'NG', 6.52, 3.38],
    ['Johannesburg', 'ZA', -26.2, 28.05],
    ['Nairobi', 'KE', -1.29, 36.82],
    ['Mumbai', 'IN', 19.08, 72.88],
    ['Chennai', 'IN', 13.08, 80.27],
    ['Delhi', 'IN', 28.7, 77.1],
    ['Singapore', 'SG', 1.35, 103.82],
    ['Kuala Lumpur', 'MY', 3.14, 101.69],
    ['Jakarta', 'ID', -6.21, 106.85],
    ['Bangkok', 'TH', 13.76, 100.5],
    ['Hanoi', 'VN', 21.03, 105.85],
    ['Manila', 'PH', 14.6, 120.98],
    ['Hong Kong', 'HK', 22.32, 114.17],
    ['Taipei', 'TW', 25.03, 121.57],
    ['Shanghai', 'CN', 31.23, 121.47],
    ['Beijing', 'CN', 39.9, 116.41],
    ['Guangzhou', 'CN', 23.13, 113.26],
    ['Hangzhou', 'CN', 30.27, 120.16],
    ['Shenzhen', 'CN', 22.54, 114.06],
    ['Seoul', 'KR', 37.57, 126.98],
    ['Busan', 'KR', 35.18, 129.08],
    ['Tokyo', 'JP', 35.68, 139.76],
    ['Osaka', 'JP', 34.69, 135.5],
    ['Sydney', 'AU', -33.87, 151.21],
    ['Melbourne', 'AU', -37.81, 144.96],
    ['Perth', 'AU', -31.95, 115.86],
    ['Auckland', 'NZ', -36.85, 174.76],
    ['Toronto', 'CA', 43.65, -79.38],
    ['Montreal', 'CA', 45.5, -73.57],
    ['Vancouver', 'CA', 49.28, -123.12],
    ['Calgary', 'CA', 51.05, -114.07],
    ['Mexico City', 'MX', 19.43, -99.13],
    ['Monterrey', 'MX', 25.69, -100.32],
    ['Guadalajara', 'MX', 20.66, -103.35],
    ['Bogota', 'CO', 4.71, -74.07],
    ['Lima', 'PE', -12.05, -77.04],
    ['Santiago', 'CL', -33.45, -70.67],
    ['Buenos Aires', 'AR', -34.6, -58.38],
    ['Sao Paulo', 'BR', -23.55, -46.63],
    ['Rio de Janeiro', 'BR', -22.91, -43.17],
    ['Fortaleza', 'BR', -3.73, -38.52],
    ['Panama City', 'PA', 8.98, -79.52],
    ['San Jose CR', 'CR', 9.93, -84.08],
    ['Santo Domingo', 'DO', 18.49, -69.93],
    ['Reykjavik', 'IS', 64.15, -21.94],
    ['Karachi', 'PK', 24.86, 67.0],
    ['Dhaka', 'BD', 23.81, 90.41],
    ['Colombo', 'LK', 6.93, 79.86],
    ['Almaty', 'KZ', 43.24, 76.89],
    ['Tashkent', 'UZ', 41.3, 69.24],
  ] as const
).map(([name, country, lat, lon]) => ({ name, country, lat, lon }));

/** City k's network is 11.k.0.0/16 (US first, then abroad): public space the bench's databases own. */
const CITIES: City[] = [...US, ...ABROAD];
const routerOf = (cityIndex: number, host: number): string => `11.${cityIndex}.${host >> 8}.${host & 255}`;

export function writeBenchWorld(dir: string): { cityDb: string; asnDb: string } {
  const cityDb = path.join(dir, 'bench-map-city.mmdb');
  const asnDb = path.join(dir, 'bench-map-asn.mmdb');
  writeCityDb(
    cityDb,
    CITIES.map((c, k) => ({
      network: `11.${k}.0.0/16`,
      country: c.country,
      city: c.name,
      lat: c.lat,
      lon: c.lon,
      accuracyKm: 20,
    })),
    'geoip2',
  );
  writeAsnDb(
    asnDb,
    CITIES.map((c, k) => ({ network: `11.${k}.0.0/16`, asn: 64_600 + k, org: `Bench carrier of ${c.name}` })),
  );
  return { cityDb, asnDb };
}

function km(a: City, b: City): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

/** How many distinct paths the world holds (sources x first foreign city x second x destination). */
export const MAX_PATHS = US.length * ABROAD.length * (US.length - 1) * ABROAD.length;

export interface BenchPath {
  /** RIPE Atlas traceroute result JSON. */
  atlas: Record<string, unknown>;
  source: { lat: number; lon: number };
}

/**
 * The p-th distinct path. Mixed radix over (source, first foreign, destination, second foreign or none), so
 * the first N paths spread over all sources and foreign cities before any second foreign hop appears.
 */
export function benchPath(p: number, startSec: number): BenchPath {
  let rest = p;
  const take = (n: number): number => {
    const v = rest % n;
    rest = Math.floor(rest / n);
    return v;
  };
  const s = take(US.length);
  const f1 = take(ABROAD.length);
  const dRaw = take(US.length - 1);
  const f2Raw = take(ABROAD.length) - 1;
  // Never the source as destination, nor the first foreign city twice: every p is its own route.
  const d = dRaw >= s ? dRaw + 1 : dRaw;
  const f2 = f2Raw >= f1 ? f2Raw + 1 : f2Raw;
  const source = US[s] as City;
  const stops: { city: City; index: number }[] = [{ city: source, index: s }];
  stops.push({ city: ABROAD[f1] as City, index: US.length + f1 });
  if (f2 >= 0) stops.push({ city: ABROAD[f2] as City, index: US.length + f2 });
  const destination = US[d] as City;
  stops.push({ city: destination, index: d });
  // RTTs the physics allows: there and back at 100 km per ms, inflated by 30% and 2 ms per hop.
  let distance = 0;
  let previous = source;
  const hops = stops.map(({ city, index }, i) => {
    distance += km(previous, city);
    previous = city;
    const rtt = 0.8 + (distance / 100) * 1.3 + 2 * i;
    return { addr: routerOf(index, 1 + (i === stops.length - 1 ? 1 : 0)), rtt };
  });
  const dst = hops[hops.length - 1]?.addr ?? '';
  return {
    source: { lat: source.lat, lon: source.lon },
    atlas: {
      af: 4,
      dst_addr: dst,
      src_addr: routerOf(s, 200),
      from: routerOf(s, 200),
      proto: 'ICMP',
      paris_id: 1,
      msm_id: 1,
      prb_id: 1 + s,
      timestamp: startSec,
      type: 'traceroute',
      result: hops.map((hop, i) => ({
        hop: i + 1,
        result: [0, 1, 2].map((k) => ({ from: hop.addr, rtt: hop.rtt + 0.1 * k, ttl: 250 - i })),
      })),
    },
  };
}

const MINUTE_MS = 60_000;

/** One judged trace per path, 0..paths-1: parsed and judged by the real analysis over the world's databases. */
export function judgedPaths(paths: number, asOf: number): Omit<ImportRecord, 'importKey'>[] {
  if (paths > MAX_PATHS) throw new Error(`the scale world holds ${MAX_PATHS} paths at most`);
  const dbDir = mkdtempSync(path.join(tmpdir(), 'dw-map-scale-world-'));
  let analyzer: ReturnType<typeof createAnalyzer>;
  try {
    analyzer = createAnalyzer(writeBenchWorld(dbDir));
  } finally {
    rmSync(dbDir, { recursive: true, force: true });
  }
  const out: Omit<ImportRecord, 'importKey'>[] = [];
  for (let p = 0; p < paths; p++) {
    const { atlas, source } = benchPath(p, Math.floor(asOf / 1000));
    const [trace] = parseTraceLine(JSON.stringify(atlas), 'atlas');
    if (!trace) throw new Error(`scale path ${p} did not parse`);
    const { annotated, verdict } = analyzer.annotateAndJudge(trace, { ...source, source: 'declared' });
    if (verdict.verdict !== 'detour') throw new Error(`scale path ${p} was judged ${verdict.verdict}`);
    out.push({
      origin: 'import',
      agentId: null,
      trace,
      verdict,
      sourcePosition: source,
      pathAsns: pathAsns(annotated),
    });
  }
  return out;
}

/**
 * `traces` imports spread round-robin over the judged paths, in batches for `writeImported`: each with its own
 * import key and start time, one a minute, the newest at `asOf`.
 */
export function* importBatches(
  templates: readonly Omit<ImportRecord, 'importKey'>[],
  traces: number,
  asOf: number,
  batchSize = 2000,
): Generator<ImportRecord[]> {
  let batch: ImportRecord[] = [];
  for (let n = 0; n < traces; n++) {
    const template = templates[n % templates.length] as Omit<ImportRecord, 'importKey'>;
    const startedAt = new Date(asOf - (traces - 1 - n) * MINUTE_MS).toISOString();
    batch.push({ ...template, trace: { ...template.trace, startedAt }, importKey: `map-scale-${n}` });
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
