import type L from 'leaflet';
import type { PathLayerStats } from './path-layer.ts';

/** A read-only handle on the running page, for the browser tests and for analysts poking at the console. */
export interface PageHandle {
  map: L.Map;
  stats: () => PathLayerStats;
  /** Agent markers on the map. */
  agents: () => number;
}

declare global {
  interface Window {
    detourwatch?: PageHandle;
  }
}
