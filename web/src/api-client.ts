import {
  type DetourDetail,
  type DetourPage,
  MAP_API,
  type MapConfig,
  type ShownRoutePage,
  type Timeline,
} from '../../protocol/map-api.ts';
import { type DetourFilter, writeFilter } from '../../protocol/map-filter.ts';
import {
  type AgentMarkerData,
  detailProblem,
  type IncidentRow,
  readAgents,
  readDetourPage,
  readIncidents,
  readMapConfig,
  readRoutePage,
  readTimeline,
} from './api-guards.ts';

/**
 * The most detours the LIST asks for at once (the page says so when more match). The map draws every
 * matching detour: the routes answer groups them all, each route with its count.
 */
export const PAGE_LIMIT = 5000;
/**
 * The first list page: enough to fill the list at once; the rest (up to PAGE_LIMIT) follows once the map is
 * drawn, so reading and sending 5,000 summaries does not hold up the first render (issue 21).
 */
export const FIRST_LIST_LIMIT = 500;
/** The newest incidents the incidents view shows (it says when there are more). */
export const INCIDENT_LIMIT = 200;

async function getJson(url: string, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  if (!res.ok) {
    // The coordinator explains refusals as { error: { message } }; fall back to the status line.
    const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null;
    const message = typeof body?.error?.message === 'string' ? body.error.message : res.statusText;
    throw new Error(`${res.status} ${message}`);
  }
  return res.json();
}

export async function fetchMapConfig(): Promise<MapConfig> {
  return readMapConfig(await getJson(MAP_API.config));
}

export async function fetchDetours(
  filter: DetourFilter,
  signal: AbortSignal,
  limit = PAGE_LIMIT,
): Promise<{ page: DetourPage; dropped: number }> {
  const params = writeFilter(filter, new URLSearchParams());
  params.set('limit', String(limit));
  return readDetourPage(await getJson(`${MAP_API.detours}?${params}`, signal));
}

export async function fetchRoutes(
  filter: DetourFilter,
  signal: AbortSignal,
): Promise<{ page: ShownRoutePage; dropped: number }> {
  const params = writeFilter(filter, new URLSearchParams());
  return readRoutePage(await getJson(`${MAP_API.routes}?${params}`, signal));
}

export async function fetchTimeline(filter: DetourFilter, signal: AbortSignal): Promise<Timeline> {
  const params = writeFilter(filter, new URLSearchParams());
  return readTimeline(await getJson(`${MAP_API.timeline}?${params}`, signal));
}

/**
 * The incidents overlapping the filter's time range, by the history API's filters (it knows agents by id
 * only: pass one when the agent filter names exactly one agent).
 */
export async function fetchIncidents(
  filter: DetourFilter,
  agentId: string | null,
  signal: AbortSignal,
): Promise<{ incidents: IncidentRow[]; more: boolean }> {
  const params = new URLSearchParams();
  if (filter.since) params.set('since', filter.since);
  if (filter.until) params.set('until', filter.until);
  if (filter.country) params.set('country', filter.country);
  if (filter.asn !== undefined) params.set('asn', String(filter.asn));
  if (agentId !== null) params.set('agent', agentId);
  params.set('limit', String(INCIDENT_LIMIT));
  return readIncidents(await getJson(`/api/v1/incidents?${params}`, signal));
}

export async function fetchAgents(): Promise<AgentMarkerData[]> {
  return readAgents(await getJson('/api/v1/agents'));
}

/** One detour with its hop table; null when it does not exist. */
export async function fetchDetour(id: number): Promise<DetourDetail | null> {
  const res = await fetch(`${MAP_API.detours}/${id}`, { headers: { accept: 'application/json' } });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  const body: unknown = await res.json();
  const problem = detailProblem(body);
  if (problem) throw new Error(`detour ${id} arrived damaged (field ${problem})`);
  return body as DetourDetail;
}
