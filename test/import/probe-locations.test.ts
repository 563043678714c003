import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../cli/progress-line.ts';
import {
  parseProbeLocation,
  probeFromArchive,
  readProbeArchive,
} from '../../server/import/probe-locations.ts';

const probe = (id: number, lon: number, lat: number) => ({
  id,
  geometry: { type: 'Point', coordinates: [lon, lat] },
});

describe('probe locations', () => {
  it('reads a probe archive wrapper and one probe a line alike, GeoJSON [lon, lat] order', async () => {
    const probes = [probe(6001, -121.89, 37.34), probe(14468, 4.9, 52.37), { id: 3, geometry: null }];
    const wrapped = await readProbeArchive(
      Readable.from([JSON.stringify({ meta: {}, objects: probes })]),
      'archive.json',
    );
    const lines = await readProbeArchive(
      Readable.from([probes.map((p) => JSON.stringify(p)).join('\n')]),
      'probes.ndjson',
    );
    for (const r of [wrapped, lines]) {
      expect(r.probes).toBe(3);
      expect(r.withoutLocation).toBe(1);
      expect(r.locations.get(6001)).toEqual({ lat: 37.34, lon: -121.89 });
      expect(r.locations.get(14468)).toEqual({ lat: 52.37, lon: 4.9 });
    }
  });

  it('refuses what is not a probe, and skips locations off the Earth', async () => {
    expect(() => probeFromArchive({ geometry: {} }, 'line 1')).toThrow(/line 1: "id" must be a probe id/);
    expect(() => probeFromArchive([1], 'line 2')).toThrow(/line 2: a probe must be a JSON object/);
    expect(probeFromArchive(probe(5, 200, 10), 'x')).toBeNull();
    await expect(readProbeArchive(Readable.from(['{"objects": []}']), 'empty.json')).rejects.toThrow(
      /holds no probe/,
    );
    await expect(readProbeArchive(Readable.from(['{"objects": [{"id": 1,']), 'cut.json')).rejects.toThrow(
      /ends inside a value/,
    );
  });

  it('reads --probe-location ID=LAT,LON', () => {
    expect(parseProbeLocation('6001=37.34,-121.89')).toEqual([6001, { lat: 37.34, lon: -121.89 }]);
    for (const bad of ['6001', '6001=37.34', 'x=1,2', '0=1,2', '6001=91,0', '6001=1,181']) {
      expect(() => parseProbeLocation(bad), bad).toThrow(/--probe-location must be ID=LAT,LON/);
    }
  });
});

describe('the progress line', () => {
  const p = { bytes: 512 * 1024, values: 1200, imported: 1100, duplicates: 90, failed: 10 };
  it('draws a bar when the size is known', () => {
    const line = progressLine(p, 1024 * 1024, 10);
    expect(line).toMatch(/^\[#####\.\.\.\.\.\] {2}50% 512\.0 KB\/1\.0 MB/);
    expect(line).toContain('1200 results, 1100 new, 90 already stored, 10 failed');
  });
  it('counts bytes when reading a stream of unknown size', () => {
    expect(progressLine(p, null)).toMatch(/^512\.0 KB read {2}1200 results/);
  });
});
