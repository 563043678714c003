import { type DetourDetail, type DetourPage, MAP_API, type MapConfig } from '../../protocol/map-api.ts';
import { type DetourFilter, writeFilter } from '../../protocol/map-filter.ts';
import { detailProblem, readDetourPage, readMapConfig } from './api-guards.ts';

/** The most detours the page asks for at once; the total still says how many match. */
export const PAGE_LIMIT = 5000;

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
): Promise<{ page: DetourPage; dropped: number }> {
  const params = writeFilter(filter, new URLSearchParams());
  params.set('limit', String(PAGE_LIMIT));
  return readDetourPage(await getJson(`${MAP_API.detours}?${params}`, signal));
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
