import 'leaflet/dist/leaflet.css';
import './styles.css';
import L from 'leaflet';
import type {
  DetourDetail,
  DetourSummary,
  MapAgent,
  MapConfig,
  PastedTrace,
  ShownRoute,
} from '../../protocol/map-api.ts';
import { compareNewestFirst, type DetourFilter, matchesFilter } from '../../protocol/map-filter.ts';
import { routeKey } from '../../protocol/map-path.ts';
import { AgentMarkers } from './agent-markers.ts';
import {
  FIRST_LIST_LIMIT,
  fetchAgents,
  fetchDetour,
  fetchDetours,
  fetchIncidents,
  fetchMapConfig,
  fetchRoutes,
  fetchTimeline,
  PAGE_LIMIT,
} from './api-client.ts';
import { addOfflineMap, addTiles, WEST_EDGE } from './base-map.ts';
import { renderDetail } from './detail-view.ts';
import { DetourList } from './detour-list.ts';
import { FilterForm } from './filter-form.ts';
import { formatCount } from './format.ts';
import { IncidentsView } from './incidents-view.ts';
import { addLegend } from './legend.ts';
import { type FeedStatus, followDetours } from './live-feed.ts';
import type {} from './page-handle.ts';
import { PastePanel, pastedNote } from './paste-panel.ts';
import { PathLayer } from './path-layer.ts';
import { h, replaceChildren } from './safe-dom.ts';
import { TimelineView, type TimeRange } from './timeline.ts';
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

const OFFLINE: MapConfig = { tileUrl: null, tileAttribution: null, homeCountries: ['US'] };
/** Live detours settle for this long before the timeline is asked again. */
const TIMELINE_REFRESH_MS = 1500;

/** The filter without its time range: the timeline shows all of time, the brushed range marked on it. */
const untimed = (f: DetourFilter): DetourFilter => {
  const { since: _since, until: _until, ...rest } = f;
  return rest;
};

const plural = (n: number, one: string, many: string): string => `${formatCount(n)} ${n === 1 ? one : many}`;

interface PendingPage {
  controller: AbortController;
  result: Promise<[Awaited<ReturnType<typeof fetchDetours>>, Awaited<ReturnType<typeof fetchRoutes>>]>;
}

function startFetch(filter: DetourFilter): PendingPage {
  const controller = new AbortController();
  const result = Promise.all([
    fetchDetours(filter, controller.signal, FIRST_LIST_LIMIT),
    fetchRoutes(filter, controller.signal),
  ]);
  // Awaited later by load(); this keeps an early failure from being reported as unhandled meanwhile.
  result.catch(() => {});
  return { controller, result };
}

/** The page's controller: one view state (mirrored in the URL), the loaded detours, and the widgets. */
async function start(): Promise<void> {
  const app = byId('app');
  const countsEl = byId('counts');
  const messageEl = byId('message');
  const scopeEl = byId('scope');
  const listEl = byId('list');
  const incidentsEl = byId('incidents');
  const detailEl = byId('detail');
  const liveEl = byId('live');
  const tabDetours = byId<HTMLButtonElement>('tab-detours');
  const tabIncidents = byId<HTMLButtonElement>('tab-incidents');

  const showMessage = (text: string | null): void => {
    messageEl.hidden = text === null;
    messageEl.textContent = text ?? '';
  };

  let view: ViewState = parseViewState(window.location.search);
  // The requests go out before anything is built: the page's own work overlaps their round trips.
  const configured = fetchMapConfig().catch((err: unknown) => {
    showMessage(`Map configuration unavailable (${String(err)}); showing the offline map.`);
    return OFFLINE;
  });
  const firstPage = startFetch(view.filter);
  const agentsLoaded = fetchAgents().catch(() => []);
  /** The list's detours (the newest PAGE_LIMIT), and how many match. */
  let items: DetourSummary[] = [];
  let listTotal = 0;
  /** Every matching detour, by route: the map's content. */
  let routes = new Map<string, ShownRoute>();
  let routeOfId = new Map<number, ShownRoute>();
  let total = 0;
  /** How many of them the routes hold: all, unless the coordinator's cap was reached. */
  let grouped = 0;
  let dropped = 0;
  /** The route whose traces the list shows, when one was clicked. */
  let routeScope: ShownRoute | null = null;
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

  const paths = new PathLayer(map, (id) => void pickRoute(id));
  const agentMarkers = new AgentMarkers(map);
  const list = new DetourList(listEl, (id) => void select(id, true));
  const incidents = new IncidentsView(incidentsEl, (id) => void openIncident(id));
  const timeline = new TimelineView(byId('timeline'), (range) => void brush(range));
  const form = new FilterForm(
    byId<HTMLFormElement>('filters'),
    (f) =>
      // The form has no incident field: an open incident stays until its scope is cleared.
      void applyFilter(view.filter.incident === undefined ? f : { ...f, incident: view.filter.incident }),
  );
  form.show(view.filter);
  // A pasted trace is drawn as the selected path, marked (class `showing-pasted`) and never mixed with the stored.
  const mapEl = byId('map');
  function showPasted(t: PastedTrace): void {
    app.classList.add('detail-open');
    renderDetail(detailEl, t, () => void select(null, false));
    // The stored detours' badge and id do not apply: the note says pasted and the verdict computed.
    detailEl.querySelector('.detail-head .badge')?.replaceWith(pastedNote(t));
    const idEl = detailEl.querySelector('.detail-id');
    if (idEl) idEl.textContent = 'not stored';
    detailEl.hidden = false;
    listEl.hidden = true;
    incidentsEl.hidden = true;
    mapEl.classList.add('showing-pasted');
    paths.setSelected(t);
    list.setSelected(null);
    const bounds = paths.boundsOf(t);
    if (bounds) {
      map.invalidateSize();
      map.fitBounds(bounds, { padding: [40, 40], maxZoom: 5, animate: false });
    }
  }
  new PastePanel(byId('paste'), showPasted);
  window.detourwatch = { map, stats: () => paths.stats(), agents: () => agentMarkers.count() };

  function showTab(which: 'detours' | 'incidents'): void {
    tabDetours.setAttribute('aria-selected', String(which === 'detours'));
    tabIncidents.setAttribute('aria-selected', String(which === 'incidents'));
    const detailOpen = view.selected !== null;
    listEl.hidden = which !== 'detours' || detailOpen;
    incidentsEl.hidden = which !== 'incidents' || detailOpen;
  }
  let tab: 'detours' | 'incidents' = 'detours';
  const switchTo = (which: 'detours' | 'incidents'): void => {
    tab = which;
    showTab(which);
  };
  tabDetours.addEventListener('click', () => switchTo('detours'));
  tabIncidents.addEventListener('click', () => switchTo('incidents'));

  function writeUrl(mode: 'push' | 'replace'): void {
    const url = `${window.location.pathname}${formatViewState(view)}`;
    if (url === `${window.location.pathname}${window.location.search}`) return;
    if (mode === 'push') window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  }

  function showCounts(): void {
    let confirmed = 0;
    for (const r of routes.values()) confirmed += r.confirmed;
    const parts = [
      grouped < total
        ? `${formatCount(total)} detour traces; the newest ${formatCount(grouped)} are drawn on ${plural(routes.size, 'route', 'routes')} (narrow the time range to draw all)`
        : `${plural(total, 'detour trace', 'detour traces')} on ${plural(routes.size, 'route', 'routes')}`,
      `${formatCount(confirmed)} confirmed`,
      `${formatCount(total - confirmed)} probable`,
    ];
    // Say how the map aggregates beyond routes: shared legs are one line, as wide as all their traces.
    const drawn = paths.stats();
    if (drawn.legs < drawn.routeLegs) {
      parts.push(
        `${plural(drawn.legs, 'leg', 'legs')} drawn: a leg several routes share is drawn once, as wide as all their traces`,
      );
    }
    if (items.length < listTotal) parts.push(`the list shows the newest ${formatCount(items.length)}`);
    if (dropped > 0) parts.push(`${formatCount(dropped)} damaged records skipped`);
    countsEl.textContent = parts.join(' · ');
  }

  /** What the list shows: every loaded detour, or the clicked route's. */
  function showList(): void {
    if (routeScope) {
      const ids = new Set(routeScope.ids);
      list.setItems(items.filter((d) => ids.has(d.id)));
    } else list.setItems(items);
  }

  /** The banner that says what the list and map are narrowed to (a route, an incident), with a way back. */
  function showScope(): void {
    const parts: HTMLElement[] = [];
    if (view.filter.incident !== undefined) {
      const back = h('button', { className: 'scope-clear', attrs: { type: 'button' } }, 'All detours');
      back.addEventListener('click', () => void openIncident(null));
      parts.push(
        h(
          'div',
          { className: 'scope-row incident-scope' },
          `Traces of incident #${view.filter.incident}`,
          back,
        ),
      );
    }
    if (routeScope) {
      const back = h('button', { className: 'scope-clear', attrs: { type: 'button' } }, 'All routes');
      back.addEventListener('click', () => scopeRoute(null));
      const via = routeScope.latest.countries.filter((c) => c !== routeScope?.latest.source.country);
      parts.push(
        h(
          'div',
          { className: 'scope-row route-scope' },
          `${plural(routeScope.count, 'trace', 'traces')} on this route${via.length > 0 ? ` via ${via.join(', ')}` : ''}`,
          back,
        ),
      );
    }
    scopeEl.hidden = parts.length === 0;
    replaceChildren(scopeEl, ...parts);
  }

  function emptyState(): HTMLElement {
    const filtered = Object.values(view.filter).some((v) => v !== undefined);
    if (filtered) {
      return h(
        'div',
        { className: 'empty' },
        h('p', null, 'No detour matches these filters.'),
        h('p', { className: 'minor' }, 'Widen the time range, or clear the filters above.'),
      );
    }
    const link = h('a', { attrs: { href: '/agent/' } }, 'the volunteers’ page');
    return h(
      'div',
      { className: 'empty first-run' },
      h('p', null, h('strong', null, 'No detours yet.')),
      h(
        'p',
        null,
        'Detours appear here once agents trace paths. To connect the first agent, open ',
        link,
        ' on the machine that will run it: it explains how to install the agent and start it with a token from ',
        h('code', null, 'detourwatch token create'),
        '.',
      ),
    );
  }

  /** Says when the agent filter names nobody (or several agents). */
  function agentNotice(agents: MapAgent[] | undefined): string | null {
    const ref = view.filter.agent;
    if (ref === undefined || agents === undefined) return null;
    if (agents.length === 0) return `No agent has the name or id “${ref}”.`;
    if (agents.length > 1) return `“${ref}” names ${agents.length} agents; showing all of them.`;
    return null;
  }

  function setRoutes(list: readonly ShownRoute[]): void {
    routes = new Map(list.map((r) => [r.key, r]));
    routeOfId = new Map();
    for (const r of list) for (const id of r.ids) routeOfId.set(id, r);
    paths.setRoutes(list);
  }

  let timelineLoading: AbortController | null = null;
  async function loadTimeline(): Promise<void> {
    timelineLoading?.abort();
    const controller = new AbortController();
    timelineLoading = controller;
    try {
      const data = await fetchTimeline(untimed(view.filter), controller.signal);
      if (controller.signal.aborted) return;
      const { since, until } = view.filter;
      timeline.set(data, since !== undefined && until !== undefined ? { since, until } : null);
    } catch {
      // The timeline is an aid: the map and list still say what they show.
    }
  }
  let timelineTimer: ReturnType<typeof setTimeout> | undefined;
  const refreshTimelineSoon = (): void => {
    clearTimeout(timelineTimer);
    timelineTimer = setTimeout(() => void loadTimeline(), TIMELINE_REFRESH_MS);
  };

  async function loadIncidents(agents: MapAgent[] | undefined): Promise<void> {
    const agentId =
      view.filter.agent === undefined ? null : agents?.length === 1 ? (agents[0]?.id ?? null) : null;
    if (view.filter.agent !== undefined && agentId === null) {
      incidents.set([], false);
      return;
    }
    try {
      const { incidents: rows, more } = await fetchIncidents(
        withoutIncident(view.filter),
        agentId,
        new AbortController().signal,
      );
      incidents.set(rows, more);
      incidents.setSelected(view.filter.incident ?? null);
    } catch (err) {
      incidents.showError(`Could not load incidents: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  /** An open incident keeps its siblings in view: the incidents list is the filter's, not the incident's own. */
  const withoutIncident = (f: DetourFilter): DetourFilter => {
    const { incident: _incident, ...rest } = f;
    return rest;
  };

  /** Fetches the detours and routes for the current filter (or takes a request under way) and shows them. */
  async function load(started?: PendingPage): Promise<void> {
    loading?.abort();
    const controller = started?.controller ?? new AbortController();
    loading = controller;
    countsEl.textContent = 'Loading detours…';
    try {
      const [detourPage, routePage] = await (started?.result ??
        Promise.all([
          fetchDetours(view.filter, controller.signal, FIRST_LIST_LIMIT),
          fetchRoutes(view.filter, controller.signal),
        ]));
      if (controller.signal.aborted) return;
      items = [...detourPage.page.items].sort(compareNewestFirst);
      listTotal = detourPage.page.total;
      total = routePage.page.total;
      grouped = routePage.page.grouped;
      dropped = detourPage.dropped + routePage.dropped;
      routeScope = null;
      setRoutes(routePage.page.routes);
      list.setEmptyState(emptyState());
      showList();
      showScope();
      form.learn(items);
      showCounts();
      showMessage(agentNotice(routePage.page.agents));
      // The timeline, the incidents and the rest of the list come after the map: the coordinator answers
      // one request at a time, and the map is what an analyst looks at first.
      void loadTimeline();
      void loadIncidents(routePage.page.agents);
      if (items.length < listTotal) void loadRestOfList(controller);
    } catch (err) {
      if (controller.signal.aborted) return;
      countsEl.textContent = 'No detours loaded';
      showMessage(`Could not load detours: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The list up to PAGE_LIMIT, after its first page; detours that arrived live meanwhile stay. */
  async function loadRestOfList(controller: AbortController): Promise<void> {
    try {
      const more = await fetchDetours(view.filter, controller.signal, PAGE_LIMIT);
      if (controller.signal.aborted) return;
      const byId = new Map(items.map((d) => [d.id, d]));
      for (const d of more.page.items) byId.set(d.id, d);
      items = [...byId.values()].sort(compareNewestFirst);
      listTotal = Math.max(listTotal, more.page.total);
      form.learn(more.page.items);
      showList();
      showCounts();
    } catch {
      // The first page stays, and the counts say how many it shows.
    }
  }

  async function applyFilter(f: DetourFilter): Promise<void> {
    view = { ...view, filter: f };
    writeUrl('replace');
    await load();
  }

  async function brush(range: TimeRange | null): Promise<void> {
    const { since: _s, until: _u, ...rest } = view.filter;
    const f: DetourFilter = range === null ? rest : { ...rest, since: range.since, until: range.until };
    form.show(f);
    view = { ...view, filter: f };
    writeUrl('push');
    await load();
  }

  async function openIncident(id: number | null): Promise<void> {
    const { incident: _i, ...rest } = view.filter;
    view = { ...view, selected: null, filter: id === null ? rest : { ...rest, incident: id } };
    writeUrl('push');
    tab = 'detours';
    await showSelection(false);
    await load();
  }

  /** A click on a route: one trace opens its hop table; several list their traces. */
  async function pickRoute(id: number): Promise<void> {
    const route = routeOfId.get(id);
    if (!route || route.count === 1) {
      await select(id, false);
      return;
    }
    if (view.selected !== null) await select(null, false);
    scopeRoute(route);
  }

  function scopeRoute(route: ShownRoute | null): void {
    routeScope = route;
    showScope();
    showList();
    tab = 'detours';
    showTab(tab);
    if (!route) {
      paths.setSelected(null);
      return;
    }
    void fetchDetour(route.latest.id).then((d) => {
      if (d && routeScope === route) paths.setSelected(d);
    });
  }

  async function showSelection(zoom: boolean): Promise<void> {
    mapEl.classList.remove('showing-pasted');
    const id = view.selected;
    if (id === null) {
      app.classList.remove('detail-open');
      detailEl.hidden = true;
      showTab(tab);
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
    const route = routeOfId.get(id);
    if (route && route.count > 1) {
      const listThem = h('button', { className: 'scope-clear', attrs: { type: 'button' } }, 'List them');
      listThem.addEventListener('click', () => {
        void select(null, false).then(() => scopeRoute(route));
      });
      detailEl
        .querySelector('.detail-title')
        ?.after(
          h(
            'p',
            { className: 'route-note' },
            `${plural(route.count, 'trace', 'traces')} on this route `,
            listThem,
          ),
        );
    }
    detailEl.hidden = false;
    listEl.hidden = true;
    incidentsEl.hidden = true;
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
    if (routeOfId.has(d.id)) return;
    form.learn([d]);
    if (!matchesFilter(d, view.filter)) return;
    total++;
    grouped++;
    listTotal++;
    items = [...items, d].sort(compareNewestFirst);
    const key = routeKey(d);
    const route = routes.get(key);
    if (route) {
      route.count++;
      if (d.confidence === 'confirmed') route.confirmed++;
      route.ids = [d.id, ...route.ids];
      if (d.startedAt > route.lastSeen) {
        route.lastSeen = d.startedAt;
        route.latest = d;
      }
      routeOfId.set(d.id, route);
      // The route's legs grow wider: stroked again on the canvas as it is, no full redraw.
      paths.addRoute(route);
    } else {
      const fresh: ShownRoute = {
        key,
        count: 1,
        confirmed: d.confidence === 'confirmed' ? 1 : 0,
        ids: [d.id],
        firstSeen: d.startedAt,
        lastSeen: d.startedAt,
        latest: d,
      };
      routes.set(key, fresh);
      routeOfId.set(d.id, fresh);
      paths.addRoute(fresh);
    }
    list.markNew(d.id);
    showList();
    showCounts();
    refreshTimelineSoon();
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
  const config = await configured;
  addTiles(map, offline, config);
  const home = config.homeCountries[0] ?? 'US';
  byId('subtitle').textContent = `${home} domestic paths that went abroad`;
  document.title = `detourwatch: ${home} domestic paths that went abroad`;
  const refutedToggle = addLegend(
    map,
    view.showRefuted,
    (show) => {
      view = { ...view, showRefuted: show };
      paths.setShowRefuted(show);
      writeUrl('replace');
    },
    config.homeCountries,
  );
  paths.setShowRefuted(view.showRefuted);
  agentMarkers.set(await agentsLoaded);
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
