import 'leaflet/dist/leaflet.css';
import './styles.css';
import L from 'leaflet';
import type { DetourDetail, DetourSummary, MapConfig } from '../../protocol/map-api.ts';
import { compareNewestFirst, type DetourFilter, matchesFilter } from '../../protocol/map-filter.ts';
import { fetchDetour, fetchDetours, fetchMapConfig } from './api-client.ts';
import { addOfflineMap, addTiles, WEST_EDGE } from './base-map.ts';
import { renderDetail } from './detail-view.ts';
import { DetourList } from './detour-list.ts';
import { FilterForm } from './filter-form.ts';
import { formatCount } from './format.ts';
import { addLegend } from './legend.ts';
import { type FeedStatus, followDetours } from './live-feed.ts';
import type {} from './page-handle.ts';
import { PathLayer } from './path-layer.ts';
import { formatViewState, parseViewState, type ViewState } from './url-state.ts';

/** US, the Atlantic to western Europe, and the Pacific to China (one world west, see path-geometry.ts). */
const INITIAL_BOUNDS: L.LatLngBoundsExpression = [
  [5, -250],
  [62, 30],
];

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

const OFFLINE: MapConfig = { tileUrl: null, tileAttribution: null };

interface PendingPage {
  controller: AbortController;
  result: ReturnType<typeof fetchDetours>;
}

function startFetch(filter: DetourFilter): PendingPage {
  const controller = new AbortController();
  const result = fetchDetours(filter, controller.signal);
  // Awaited later by load(); this keeps an early failure from being reported as unhandled meanwhile.
  result.catch(() => {});
  return { controller, result };
}

/** The page's controller: one view state (mirrored in the URL), the loaded detours, and the widgets. */
async function start(): Promise<void> {
  const app = byId('app');
  const countsEl = byId('counts');
  const messageEl = byId('message');
  const listEl = byId('list');
  const detailEl = byId('detail');
  const liveEl = byId('live');

  const showMessage = (text: string | null): void => {
    messageEl.hidden = text === null;
    messageEl.textContent = text ?? '';
  };

  let view: ViewState = parseViewState(window.location.search);
  // Both requests go out before anything is built: the page's own work overlaps their round trips.
  const configured = fetchMapConfig().catch((err: unknown) => {
    showMessage(`Map configuration unavailable (${String(err)}); showing the offline map.`);
    return OFFLINE;
  });
  const firstPage = startFetch(view.filter);
  let items: DetourSummary[] = [];
  let total = 0;
  let dropped = 0;
  /** Hop tables fetched so far (a detour never changes once stored). */
  const details = new Map<number, DetourDetail>();
  let loading: AbortController | null = null;

  const map = L.map(byId('map'), {
    preferCanvas: true,
    minZoom: 2,
    maxZoom: 10,
    zoomSnap: 0.5,
    worldCopyJump: false,
    maxBounds: [
      [-85, WEST_EDGE],
      [85, 200],
    ],
    maxBoundsViscosity: 0.8,
  });
  map.fitBounds(INITIAL_BOUNDS);
  new ResizeObserver(() => map.invalidateSize()).observe(byId('map'));

  const paths = new PathLayer(map, (id) => void select(id, false));
  const list = new DetourList(listEl, (id) => void select(id, true));
  const form = new FilterForm(byId<HTMLFormElement>('filters'), (f) => void applyFilter(f));
  const refutedToggle = addLegend(map, view.showRefuted, (show) => {
    view = { ...view, showRefuted: show };
    paths.setShowRefuted(show);
    writeUrl('replace');
  });
  paths.setShowRefuted(view.showRefuted);
  form.show(view.filter);
  window.detourwatch = { map, stats: () => paths.stats() };

  function writeUrl(mode: 'push' | 'replace'): void {
    const url = `${window.location.pathname}${formatViewState(view)}`;
    if (url === `${window.location.pathname}${window.location.search}`) return;
    if (mode === 'push') window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  }

  function showCounts(): void {
    const confirmed = items.filter((d) => d.confidence === 'confirmed').length;
    const parts = [
      `${formatCount(items.length)} of ${formatCount(total)} detours`,
      `${formatCount(confirmed)} confirmed`,
      `${formatCount(items.length - confirmed)} probable`,
    ];
    if (dropped > 0) parts.push(`${formatCount(dropped)} damaged records skipped`);
    countsEl.textContent = parts.join(' · ');
  }

  /** Fetches the detours for the current filter (or takes a request already under way) and shows them. */
  async function load(started?: PendingPage): Promise<void> {
    loading?.abort();
    const controller = started?.controller ?? new AbortController();
    loading = controller;
    countsEl.textContent = 'Loading detours…';
    try {
      const result = await (started?.result ?? fetchDetours(view.filter, controller.signal));
      if (controller.signal.aborted) return;
      items = [...result.page.items].sort(compareNewestFirst);
      total = result.page.total;
      dropped = result.dropped;
      paths.setPaths(items);
      list.setItems(items);
      form.learn(items);
      showCounts();
      showMessage(null);
    } catch (err) {
      if (controller.signal.aborted) return;
      countsEl.textContent = 'No detours loaded';
      showMessage(`Could not load detours: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function applyFilter(f: DetourFilter): Promise<void> {
    view = { ...view, filter: f };
    writeUrl('replace');
    await load();
  }

  async function showSelection(zoom: boolean): Promise<void> {
    const id = view.selected;
    if (id === null) {
      app.classList.remove('detail-open');
      detailEl.hidden = true;
      listEl.hidden = false;
      paths.setSelected(null);
      list.setSelected(null);
      return;
    }
    let d = details.get(id) ?? null;
    if (!d) {
      try {
        d = await fetchDetour(id);
      } catch (err) {
        showMessage(`Could not load detour #${id}: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (!d) {
        if (view.selected === id) showMessage(`Detour #${id} does not exist (any more).`);
        return;
      }
      details.set(id, d);
    }
    if (view.selected !== id) return;
    app.classList.add('detail-open');
    renderDetail(detailEl, d, () => void select(null, false));
    detailEl.hidden = false;
    listEl.hidden = true;
    paths.setSelected(d);
    list.setSelected(id);
    const bounds = zoom ? paths.boundsOf(d) : null;
    if (bounds) {
      map.invalidateSize();
      map.fitBounds(bounds, { padding: [40, 40], maxZoom: 5, animate: false });
    }
  }

  async function select(id: number | null, zoom: boolean): Promise<void> {
    view = { ...view, selected: id };
    writeUrl('push');
    await showSelection(zoom);
    if (id !== null && !zoom) list.reveal(id);
  }

  function onLiveDetour(d: DetourSummary): void {
    if (items.some((x) => x.id === d.id)) return;
    form.learn([d]);
    if (!matchesFilter(d, view.filter)) return;
    total++;
    items = [...items, d].sort(compareNewestFirst);
    paths.addPath(d);
    list.markNew(d.id);
    list.setItems(items);
    showCounts();
  }

  const liveLabel: Record<FeedStatus, string> = {
    connecting: 'connecting',
    live: 'live',
    reconnecting: 'reconnecting…',
  };
  followDetours(onLiveDetour, (s) => {
    liveEl.className = `live ${s}`;
    liveEl.textContent = liveLabel[s];
  });

  window.addEventListener('popstate', () => {
    const next = parseViewState(window.location.search);
    const filterChanged =
      formatViewState({ ...next, selected: null }) !== formatViewState({ ...view, selected: null });
    view = next;
    form.show(view.filter);
    refutedToggle.checked = view.showRefuted;
    paths.setShowRefuted(view.showRefuted);
    if (filterChanged) void load().then(() => showSelection(false));
    else void showSelection(false);
  });

  const loaded = load(firstPage);
  const offline = addOfflineMap(map);
  addTiles(map, offline, await configured);
  await loaded;
  await showSelection(true);
  // Leaflet's canvases draw in the next animation frame, which is then painted; the frame after that
  // starts once the drawing is on screen, and that is when the page counts as ready.
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      performance.mark('detourwatch:ready');
      document.body.dataset.ready = 'true';
    }),
  );
}

start().catch((err: unknown) => {
  const message = document.getElementById('message');
  if (message) {
    message.hidden = false;
    message.textContent = `The map failed to start: ${err instanceof Error ? err.message : String(err)}`;
  }
});
