import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DetourItem } from '../../protocol/history-api.ts';
import { csvCell } from '../../server/export/csv.ts';
import { DETOUR_COLUMNS } from '../../server/export/detour-columns.ts';
import { exportChunks } from '../../server/export/formats.ts';
import { pathGeometry, splitAtAntimeridian } from '../../server/export/geojson.ts';
import { chunkStream } from '../../server/export/web-stream.ts';
import { writeChunks } from '../../server/export/write-stream.ts';
import { detourItem } from './detour-fixture.ts';
import { readCsv } from './rfc4180.ts';

const column = (name: string) => DETOUR_COLUMNS.findIndex((c) => c.name === name);

/** The whole export as one text. */
async function text(chunks: AsyncIterable<string>): Promise<string> {
  let all = '';
  for await (const chunk of chunks) all += chunk;
  return all;
}

describe('CSV', () => {
  it('quotes per RFC 4180 and reads back to the same values', async () => {
    const items = [detourItem(), detourItem({ id: 8, destinationName: 'plain.example', agentName: null })];
    const rows = readCsv(await text(exportChunks('csv', items)));
    expect(rows[0]).toEqual(DETOUR_COLUMNS.map((c) => c.name));
    expect(rows).toHaveLength(3);
    expect(rows[1]?.[column('foreign_orgs')]).toBe(`'@SUM(1+1), "China Telecom"\r\nline two`);
    expect(rows[2]?.[column('destination_name')]).toBe('plain.example');
    expect(rows[2]?.[column('agent_name')]).toBe('');
    expect(rows[1]?.[column('foreign_asns')]).toBe('4134');
    expect(rows[1]?.[column('extra_km')]).toBe('12345.7');
  });

  it('defuses text cells a spreadsheet would run as formulas', async () => {
    const row = readCsv(await text(exportChunks('csv', [detourItem()])))[1] ?? [];
    for (const name of ['destination_name', 'agent_name', 'foreign_orgs', 'reason']) {
      const cell = row[column(name)] ?? '';
      expect(cell.startsWith("'"), `${name}: ${cell}`).toBe(true);
    }
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${start}1`)).toMatch(/^"?'/);
    // Numbers stay numbers: a negative longitude is not a formula.
    expect(csvCell(-118.24)).toBe('-118.24');
    expect(csvCell('safe')).toBe('safe');
  });
});

describe('NDJSON', () => {
  it('writes one JSON object per line', async () => {
    const items = [detourItem(), detourItem({ id: 8 })];
    const lines = (await text(exportChunks('ndjson', items))).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(items);
  });
});

describe('GeoJSON', () => {
  /** The line's points, without the points RFC 7946 cutting adds at +-180. */
  const vertices = (geometry: { type: string; coordinates: number[][] | number[][][] }): number[][] =>
    (geometry.type === 'MultiLineString'
      ? (geometry.coordinates as number[][][]).flat()
      : (geometry.coordinates as number[][])
    ).filter(([lon]) => Math.abs(lon ?? 0) !== 180);

  it('runs from the prober through every located hop and back home to the destination', async () => {
    const doc = JSON.parse(await text(exportChunks('geojson', [detourItem(), detourItem({ id: 8 })])));
    expect(doc.type).toBe('FeatureCollection');
    expect(doc.features.map((f: { id: number }) => f.id)).toEqual([7, 8]);
    const [first] = doc.features;
    // Los Angeles -> Hangzhou and Hangzhou -> Washington both cross the antimeridian: cut twice, as RFC 7946 asks.
    expect(first.geometry.type).toBe('MultiLineString');
    expect(first.geometry.coordinates).toHaveLength(3);
    // Prober, the Los Angeles router, Hangzhou, then the leg home to the destination in Washington; the
    // refuted Frankfurt claim (TTL 6) and the unlocated hops are not places on the line.
    expect(vertices(first.geometry)).toEqual([
      [-118.24, 34.05],
      [-118.25, 34.06],
      [120.16, 30.29],
      [-77.04, 38.9],
    ]);
    expect(first.properties.destinationReached).toBe(true);
    expect(first.properties.foreignHops[0].org).toContain('China Telecom');
  });

  it("gives each hop's status, place and RTTs as properties, saying which are points of the line", async () => {
    const [feature] = JSON.parse(await text(exportChunks('geojson', [detourItem()]))).features;
    const hops = feature.properties.hops as { ttl: number; status: string; drawn: boolean }[];
    expect(hops.map((h) => [h.ttl, h.status, h.drawn])).toEqual([
      [1, 'special', false],
      [2, 'home', true],
      [3, 'no-reply', false],
      [5, 'foreign-confirmed', true],
      [6, 'refuted', false],
      [8, 'home', true],
    ]);
    expect(hops[3]).toMatchObject({
      ip: '192.0.2.5',
      country: 'CN',
      city: 'Hangzhou',
      rttMs: 160.2,
      minRttMs: 105.99,
    });
    expect(hops[4]).toMatchObject({ country: 'DE', lat: 50.11, lon: 8.68 });
  });

  it('starts at the first located hop without a prober position, and ends at the last when the destination is silent', async () => {
    const item = detourItem();
    const silent = detourItem({ id: 9, sourcePosition: null, hops: item.hops.filter((h) => h.ttl !== 8) });
    const [feature] = JSON.parse(await text(exportChunks('geojson', [silent]))).features;
    expect(vertices(feature.geometry)).toEqual([
      [-118.25, 34.06],
      [120.16, 30.29],
    ]);
    expect(feature.properties.destinationReached).toBe(false);
  });

  it("draws an older coordinator's item, which has no hop table, through its foreign hops", async () => {
    const { hops: _hops, ...old } = detourItem({ sourcePosition: null });
    const [feature] = JSON.parse(await text(exportChunks('geojson', [old as DetourItem]))).features;
    expect(feature.geometry).toEqual({ type: 'Point', coordinates: [120.16, 30.29] });
    expect(feature.properties.hops.map((h: { status: string }) => h.status)).toEqual(['foreign-confirmed']);
  });

  it('is valid when empty', async () => {
    expect(JSON.parse(await text(exportChunks('geojson', [])))).toEqual({
      type: 'FeatureCollection',
      features: [],
    });
  });

  it('cuts segments at +-180 with the crossing latitude interpolated', () => {
    const parts = splitAtAntimeridian([
      [170, 10],
      [-170, 20],
    ]);
    expect(parts).toEqual([
      [
        [170, 10],
        [180, 15],
      ],
      [
        [-180, 15],
        [-170, 20],
      ],
    ]);
    expect(
      pathGeometry([
        [-100, 40],
        [-80, 35],
      ])?.type,
    ).toBe('LineString');
    expect(pathGeometry([])).toBeNull();
  });
});

/** Items that count how many were read, to see that an export reads only as far as its consumer. */
function* counted(n: number, read: { count: number }): Generator<DetourItem> {
  for (let i = 1; i <= n; i++) {
    read.count = i;
    yield detourItem({ id: i });
  }
}

describe('streaming', () => {
  it('reads rows only as fast as the consumer takes chunks', async () => {
    const read = { count: 0 };
    const chunks = exportChunks('ndjson', counted(100_000, read));
    await chunks.next();
    expect(read.count).toBeGreaterThan(0);
    expect(read.count).toBeLessThan(1000);
  });

  it('waits for drain when the output is full, and stops when it closes', async () => {
    const read = { count: 0 };
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, done) {
        writes++;
        setTimeout(done, 1);
      },
    });
    await writeChunks(exportChunks('csv', counted(2000, read)), slow);
    expect(read.count).toBe(2000);
    expect(writes).toBeGreaterThan(1);

    const gone = new PassThrough({ highWaterMark: 1 });
    const more = { count: 0 };
    const writing = writeChunks(exportChunks('ndjson', counted(1_000_000, more)), gone);
    gone.destroy();
    await expect(writing).rejects.toThrow();
    expect(more.count).toBeLessThan(1_000_000);
  });

  it('as a web stream, pulls one chunk at a time and releases the source when cancelled', async () => {
    const read = { count: 0 };
    let released = 0;
    const stream = chunkStream(exportChunks('ndjson', counted(1_000_000, read)), () => released++);
    const reader = stream.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const afterOne = read.count;
    expect(afterOne).toBeLessThan(2000);
    await reader.cancel();
    expect(released).toBe(1);
    expect(read.count).toBeLessThan(4000);
  });
});
