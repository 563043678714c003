/**
 * Issue 14, item 5: the probe archive's plain latitude/longitude form is read as well as the API's GeoJSON
 * geometry, and imported RIPE Atlas traces show their probe id (trace and detour items, the CLI's detours
 * table). RIPE's own published results (../shared/fixtures) are imported on both engines when present.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detourTable } from '../../cli/text-table.ts';
import { readPage } from '../../server/history/filters.ts';
import { importAtlas, storeImportSink } from '../../server/import/atlas-import.ts';
import { probeFromArchive, readProbeArchive } from '../../server/import/probe-locations.ts';
import { CITIES, createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { requirement, SKIP_REASONS } from '../helpers/skips.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';
import { detourResult, ndjson, SAN_JOSE_PROBE } from '../history/world-results.ts';

const SAGAN = path.resolve(
  import.meta.dirname,
  '../../../shared/fixtures/ripe-atlas/sagan_traceroute_results.ndjson',
);

/** Two probes as the daily probe archive (ftp.ripe.net/ripe/atlas/probes/archive/) writes them. */
const ARCHIVE_PROBES = [
  {
    id: 6001,
    address_v4: '198.51.100.7',
    address_v6: null,
    asn_v4: 7922,
    asn_v6: null,
    prefix_v4: '198.51.100.0/24',
    prefix_v6: null,
    is_anchor: false,
    is_public: true,
    status: 1,
    status_name: 'Connected',
    status_since: 1714521600,
    first_connected: 1356998400,
    last_connected: 1714521600,
    type: 'Probe',
    country_code: 'US',
    latitude: 37.3415,
    longitude: -121.8915,
    description: 'San Jose',
    total_uptime: 123456789,
    tags: [{ name: 'Home', slug: 'home' }],
  },
  { id: 6002, country_code: 'US', latitude: null, longitude: null, status_name: 'Never Connected' },
];

describe('the probe archive', () => {
  it("reads the daily archive's plain latitude and longitude", async () => {
    const report = await readProbeArchive(
      Readable.from([JSON.stringify({ meta: {}, objects: ARCHIVE_PROBES })]),
      'archive.json',
    );
    expect(report.probes).toBe(2);
    expect(report.withoutLocation).toBe(1);
    expect(report.locations.get(6001)).toEqual({ lat: 37.3415, lon: -121.8915 });
  });

  it('takes the geometry when both forms are there, and skips coordinates off the Earth', () => {
    const both = {
      id: 7,
      latitude: 1,
      longitude: 2,
      geometry: { type: 'Point', coordinates: [-122.3, 47.6] },
    };
    expect(probeFromArchive(both, 'x')).toEqual([7, { lat: 47.6, lon: -122.3 }]);
    expect(probeFromArchive({ id: 8, latitude: 95, longitude: 0 }, 'x')).toBeNull();
    expect(probeFromArchive({ id: 9, latitude: '37.3', longitude: '-121.9' }, 'x')).toBeNull();
    // A broken geometry does not hide a usable plain position.
    expect(probeFromArchive({ id: 10, geometry: null, latitude: 40.7, longitude: -74 }, 'x')).toEqual([
      10,
      { lat: 40.7, lon: -74 },
    ]);
  });
});

const engines = await storeEngines('imported Atlas traces and their probe ids');
const fixtures = requirement(
  existsSync(SAGAN),
  SKIP_REASONS.sharedFixtures,
  `${SAGAN} (../shared/fixtures) is absent`,
);
if (!fixtures.met) console.warn(`SKIPPED: importing RIPE's published results, because ${fixtures.detail}`);

describeEngines(engines, (engine) => {
  let env: TestStore;
  beforeEach(async () => {
    env = await engine.open();
  });
  afterEach(() => env.cleanup());
  const analyzer = createWorldAnalyzer();
  const allTraces = async () =>
    (
      await env.store.tracePage(
        { since: null, until: null, verdict: null, agent: null, target: null, origin: 'import' },
        readPage({ limit: '1000' }, Date.now()),
      )
    ).items;

  it.skipIf(!fixtures.met)("shows each imported result's probe id", async () => {
    const lines = readFileSync(SAGAN, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const report = await importAtlas({
      input: Readable.from([lines.join('\n')]),
      analyzer,
      probes: new Map(),
      sink: storeImportSink(env.store),
    });
    expect(report.imported).toBeGreaterThan(0);
    const traces = await allTraces();
    expect(traces).toHaveLength(report.imported);
    // Each trace's probe, read from the fixture by its start time and destination (JSON.parse, not the parser).
    const probeOf = new Map<string, number>();
    for (const l of lines) {
      const r = JSON.parse(l) as { prb_id: number; timestamp: number; dst_addr?: string };
      probeOf.set(`${r.timestamp}|${r.dst_addr ?? null}`, r.prb_id);
    }
    for (const t of traces) {
      const key = `${Date.parse(t.startedAt) / 1000}|${t.destinationIp}`;
      expect({ id: t.id, probeId: t.probeId }).toEqual({ id: t.id, probeId: probeOf.get(key) });
    }
  });

  it('shows the probe of an imported detour in the detours list and the CLI table', async () => {
    await importAtlas({
      input: Readable.from([ndjson([detourResult(Math.floor(Date.now() / 1000) - 3600)])]),
      analyzer,
      probes: new Map([[SAN_JOSE_PROBE, CITIES.sanJose]]),
      sink: storeImportSink(env.store),
    });
    const detours = (
      await env.store.detourPage(
        { since: null, until: null, country: null, asn: null, agent: null, target: null, confidence: null },
        readPage({}, Date.now()),
      )
    ).items;
    expect(detours.map((d) => d.probeId)).toEqual([SAN_JOSE_PROBE]);
    expect(detourTable(detours)).toContain(`Atlas probe ${SAN_JOSE_PROBE}`);
  });
});
