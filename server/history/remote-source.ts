import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import type { ApiErrorBody, ListName, Page } from '../../protocol/history-api.ts';
import type { HistorySource } from './history-source.ts';
import { ParameterError } from './parameter-error.ts';

const TIMEOUT_MS = 30_000;

/** History read from a coordinator's API (`--server URL`). */
export function remoteHistorySource(server: string, doFetch: typeof fetch = fetch): HistorySource {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new DetourwatchError(
      'USAGE',
      `--server must be the coordinator's URL, like http://127.0.0.1:8080, not "${server}"`,
    );
  }
  if (base.protocol === 'ws:' || base.protocol === 'wss:')
    base.protocol = base.protocol === 'ws:' ? 'http:' : 'https:';
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new DetourwatchError('USAGE', `--server must be an http:// or https:// URL, not "${server}"`);
  }

  async function request(path: string, query: Record<string, string>, timeout = true): Promise<Response> {
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await doFetch(url, timeout ? { signal: AbortSignal.timeout(TIMEOUT_MS) } : {});
    } catch (err) {
      throw new DetourwatchError(
        'STORE_FAILED',
        `cannot reach the coordinator at ${base.origin}: ${describeError(err)}`,
      );
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let body: Partial<ApiErrorBody> = {};
    try {
      body = JSON.parse(text) as ApiErrorBody;
    } catch {
      // Not the API's error shape: a proxy or another server answered.
    }
    const e = body.error;
    if (res.status === 400 && e?.parameter) throw ParameterError.answered(e.parameter, e.message);
    if (res.status === 404 && e) throw new DetourwatchError('NOT_FOUND', e.message);
    throw new DetourwatchError(
      'STORE_FAILED',
      `${url.pathname}: the coordinator answered HTTP ${res.status}${e ? `: ${e.message}` : ''}`,
    );
  }

  const json = async <T>(path: string, query: Record<string, string> = {}): Promise<T> =>
    (await (await request(path, query)).json()) as T;
  /** The API names each list (`{"detours": [...], "nextCursor": ...}`); the command line reads pages. */
  const page = async <T>(path: string, name: ListName, query: Record<string, string>): Promise<Page<T>> => {
    const body = await json<Record<string, unknown>>(path, query);
    const items = body[name];
    if (!Array.isArray(items))
      throw new DetourwatchError('STORE_FAILED', `${path}: the coordinator answered no "${name}" list`);
    return { items: items as T[], nextCursor: typeof body.nextCursor === 'string' ? body.nextCursor : null };
  };

  return {
    detours: (query) => page('/api/v1/detours', 'detours', query),
    async exportDetours(query, format, out) {
      // No time limit: a large export may take long; the server streams it.
      const res = await request('/api/v1/detours/export', { ...query, format }, false);
      if (!res.body) return;
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), out, {
        end: false,
      });
    },
    incidents: (query) => page('/api/v1/incidents', 'incidents', query),
    async incident(id) {
      try {
        return await json(`/api/v1/incidents/${id}`);
      } catch (err) {
        if (err instanceof DetourwatchError && err.code === 'NOT_FOUND') return null;
        throw err;
      }
    },
    incidentTraces: (id, query) => page(`/api/v1/incidents/${id}/traces`, 'traces', query),
    routeChanges: (query) => page('/api/v1/route-changes', 'routeChanges', query),
    close: async () => {},
  };
}
