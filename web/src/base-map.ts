import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import L from 'leaflet';
import { feature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import states from 'us-atlas/states-10m.json';
import countries from 'world-atlas/countries-110m.json';
import type { MapConfig } from '../../protocol/map-api.ts';
import { fixAntimeridian, shiftGeometry } from './antimeridian.ts';
import { escapeHtml } from './safe-dom.ts';

/**
 * The offline base map: Natural Earth countries (1:110m) and US Census states, bundled with the page so the
 * map works with no internet. An operator may add an online tile layer; the vector map stays available.
 */

const OFFLINE_ATTRIBUTION = 'Natural Earth; US Census Bureau (public domain)';

type Shape = Feature<Polygon | MultiPolygon>;

function shapes(topology: unknown, object: string): Shape[] {
  const topo = topology as Topology;
  const geo = topo.objects[object];
  if (!geo) return [];
  const fc = feature(topo, geo) as FeatureCollection;
  return fc.features.filter(
    (f): f is Shape => f.geometry?.type === 'Polygon' || f.geometry?.type === 'MultiPolygon',
  );
}

/**
 * The map can be panned this far west (one world over, down to 25°E): far enough for every path from the US
 * across the Pacific (paths are unwrapped, see path-geometry.ts), near enough to copy only Asia and Oceania.
 */
export const WEST_EDGE = -335;

/** Countries on the main world, and again one world west for those reaching east of WEST_EDGE + 360°. */
function worldFeatures(): FeatureCollection<MultiPolygon> {
  const out: Feature<MultiPolygon>[] = [];
  for (const f of shapes(countries, 'countries')) {
    const geometry = fixAntimeridian(f.geometry);
    const properties = { home: f.id === '840' };
    out.push({ type: 'Feature', id: f.id, properties, geometry });
    const east = Math.max(...geometry.coordinates.flat(2).map((p) => p[0] ?? 0));
    if (east > WEST_EDGE + 360) {
      out.push({ type: 'Feature', id: f.id, properties, geometry: shiftGeometry(geometry, -360) });
    }
  }
  return { type: 'FeatureCollection', features: out };
}

/** Draws the offline map now: it needs nothing from the network. */
export function addOfflineMap(map: L.Map): L.LayerGroup {
  const pane = map.createPane('basemap');
  pane.style.zIndex = '250';
  const renderer = L.canvas({ pane: 'basemap' });
  const land = L.geoJSON(worldFeatures(), {
    renderer,
    interactive: false,
    style: (f) => ({
      color: '#b9b3a5',
      weight: 0.6,
      fillColor: f?.properties?.home ? '#fbfaf5' : '#efebe2',
      fillOpacity: 1,
    }),
  } as L.GeoJSONOptions);
  const borders = L.geoJSON(
    { type: 'FeatureCollection', features: shapes(states, 'states') } as FeatureCollection,
    {
      renderer,
      interactive: false,
      style: { color: '#cfc8b8', weight: 0.5, fill: false },
    } as L.GeoJSONOptions,
  );
  const offline = L.layerGroup([land, borders]).addTo(map);
  map.attributionControl.addAttribution(escapeHtml(OFFLINE_ATTRIBUTION));
  return offline;
}

/**
 * The operator's tile layer, when configured, replaces the offline map (whose fills would hide it); the
 * layer control switches back.
 */
export function addTiles(map: L.Map, offline: L.LayerGroup, config: MapConfig): void {
  if (!config.tileUrl) return;
  const tiles = L.tileLayer(config.tileUrl, {
    attribution: escapeHtml(config.tileAttribution ?? ''),
    maxZoom: 12,
  });
  offline.remove();
  tiles.addTo(map);
  L.control.layers({ Tiles: tiles, 'Offline map': offline }, {}, { position: 'topright' }).addTo(map);
}
