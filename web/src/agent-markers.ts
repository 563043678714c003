import L from 'leaflet';
import type { AgentMarkerData } from './api-guards.ts';
import { h } from './safe-dom.ts';

/**
 * The vantage points: each agent at the public (rounded) position the coordinator gives, styled by how far
 * that position is believed. A contradicted location is drawn struck through, so nobody reads physics
 * measured from it as proof.
 */

const STATUS_TEXT: Record<string, string> = {
  verified: 'location verified by RTTs',
  unverified: 'location declared, not yet verified',
  contradicted: 'location contradicted by RTTs',
};

const STATUS_STYLE: Record<string, { color: string; dashArray?: string; fillOpacity: number }> = {
  verified: { color: '#1b7a3a', fillOpacity: 0.9 },
  unverified: { color: '#5d6b7a', dashArray: '3 2', fillOpacity: 0.35 },
  contradicted: { color: '#c81e2b', dashArray: '2 2', fillOpacity: 0.1 },
};

export const statusText = (status: string | null): string =>
  status === null
    ? 'location declared (the coordinator does not say if verified)'
    : (STATUS_TEXT[status] ?? status);

export class AgentMarkers {
  private readonly layer: L.LayerGroup;
  /**
   * SVG, not canvas: a canvas covers the whole map and would take the mouse from the selected path's hop
   * markers beneath it; SVG answers only on its circles.
   */
  private readonly renderer: L.Renderer;

  constructor(map: L.Map) {
    const pane = map.createPane('agents');
    pane.style.zIndex = '460';
    this.renderer = L.svg({ pane: 'agents' });
    this.layer = L.layerGroup().addTo(map);
  }

  set(agents: readonly AgentMarkerData[]): void {
    this.layer.clearLayers();
    for (const a of agents) {
      const style = STATUS_STYLE[a.locationStatus ?? 'unverified'] ?? STATUS_STYLE.unverified;
      const marker = L.circleMarker([a.lat, a.lon], {
        pane: 'agents',
        renderer: this.renderer,
        radius: 7,
        weight: 2.5,
        color: style?.color,
        dashArray: style?.dashArray,
        fillColor: '#ffffff',
        fillOpacity: style?.fillOpacity,
        className: `dw-agent ${a.locationStatus ?? 'unknown'}`,
      });
      marker.bindTooltip(
        h(
          'div',
          { className: 'dw-tip' },
          h('strong', null, a.name),
          h('div', null, `agent ${a.id} · ${a.connected ? 'connected' : 'offline'}`),
          h('div', null, statusText(a.locationStatus)),
        ),
        { direction: 'top', offset: [0, -6] },
      );
      this.layer.addLayer(marker);
    }
  }

  count(): number {
    return this.layer.getLayers().length;
  }
}
