import { describeError } from '../../protocol/errors.ts';
import type { DetourSummary, MapRoute } from '../../protocol/map-api.ts';
import { routeKey, summarise } from '../../protocol/map-path.ts';
import type { MapDetourKeys, MapFilter, MapStore } from '../store/map-store.ts';
import { detourDetail } from './map-detour.ts';

/** Verdicts read per store call while the index learns routes it has not seen. */
const LEARN_CHUNK = 2000;

const iso = (ms: number): string => new Date(ms).toISOString();

const ALL: MapFilter = {
  since: null,
  until: null,
  country: null,
  asn: null,
  agent: null,
  target: null,
  confidence: null,
  incident: null,
};

interface KnownRoute {
  key: string;
  /** The newest detour seen on it: what is drawn, and what a click opens when it matches the filter. */
  newest: DetourSummary;
}

/**
 * Which route each stored detour took, learned once per detour (until re-judging rewrites verdicts: `reset`): grouping
 * every matching detour by route then reads only ids, times and confidences from the store (issue 21: the
 * map groups 200,000 traces per answer, where reading and parsing 200,000 verdicts took seconds). Detours the
 * index has not seen yet are read and learned on demand; the live feed teaches it new ones as they arrive.
 */
export class MapRouteIndex {
  private routeOfId = new Map<number, number>();
  private routes: KnownRoute[] = [];
  private byKey = new Map<string, number>();
  /** Ids whose records cannot be drawn (damaged): not asked for again. */
  private unusable = new Set<number>();
  /** The start-up learning of every stored detour, while it runs. */
  private warming: Promise<void> | null = null;
  /** Bumped by `reset`: a learning started before it must not write what it read into the new state. */
  private generation = 0;

  constructor(
    private readonly store: Pick<MapStore, 'mapDetoursByIds' | 'mapDetourKeys'>,
    /** Where damaged records are reported (they are counted out of `grouped`). */
    private readonly log: (line: string) => void = () => {},
  ) {}

  /**
   * A placement changed and stored verdicts were judged again (server/placement/rejudge.ts): any learned route
   * may now be wrong, so everything is forgotten and learned again in the background; answers meanwhile learn
   * what they need on demand. Rare (an operator's correction, a constraint that moved a router).
   */
  reset(): void {
    this.generation++;
    this.routeOfId = new Map();
    this.routes = [];
    this.byKey = new Map();
    this.unusable = new Set();
    this.warming = null;
    this.warm();
  }

  /** Learns one detour's route (from the live feed or a read). */
  learn(d: DetourSummary): void {
    if (this.routeOfId.has(d.id)) return;
    const key = routeKey(d);
    let index = this.byKey.get(key);
    if (index === undefined) {
      index = this.routes.length;
      this.routes.push({ key, newest: d });
      this.byKey.set(key, index);
    } else {
      const known = this.routes[index] as KnownRoute;
      if (
        d.startedAt > known.newest.startedAt ||
        (d.startedAt === known.newest.startedAt && d.id > known.newest.id)
      )
        known.newest = d;
    }
    this.routeOfId.set(d.id, index);
  }

  /**
   * Learns every stored detour's route in the background, a chunk at a time with the event loop free between
   * chunks: a coordinator's first map answer then need not read 200,000 verdicts itself. A failure (a store
   * closed meanwhile) ends it; whatever is left is learned on demand.
   */
  warm(): void {
    if (this.warming) return;
    const generation = this.generation;
    this.warming = (async () => {
      const { ids } = await this.store.mapDetourKeys(ALL);
      for (let i = 0; i < ids.length; i += LEARN_CHUNK) {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.generation !== generation) return;
        const chunk = ids.slice(i, i + LEARN_CHUNK).filter((id) => !this.routeOfId.has(id));
        const learned = await this.summaries(chunk);
        if (this.generation !== generation) return;
        for (const d of learned) this.learn(d);
      }
    })().catch((err: unknown) => this.log(`map: stopped learning routes ahead: ${describeError(err)}`));
  }

  /** Distinct routes learned so far. */
  size(): number {
    return this.routes.length;
  }

  private async summaries(ids: readonly number[]): Promise<DetourSummary[]> {
    const out: DetourSummary[] = [];
    for (let i = 0; i < ids.length; i += LEARN_CHUNK) {
      for (const record of await this.store.mapDetoursByIds(ids.slice(i, i + LEARN_CHUNK))) {
        try {
          out.push(summarise(detourDetail(record)));
        } catch (err) {
          this.unusable.add(record.id);
          this.log(`map: detour #${record.id} cannot be shown: ${describeError(err)}`);
        }
      }
    }
    return out;
  }

  /**
   * The matching detours (`keys`, newest first) grouped by route, most traces first; `grouped` counts those
   * the routes hold (all but damaged records).
   */
  async group(keys: MapDetourKeys): Promise<{ routes: MapRoute[]; grouped: number }> {
    const { ids, startedAt, confirmed } = keys;
    await this.warming;
    const unknown = ids.filter((id) => !this.routeOfId.has(id) && !this.unusable.has(id));
    const generation = this.generation;
    const learned = await this.summaries(unknown);
    // A reset meanwhile: what was read may predate the re-judging; the next answer learns it afresh.
    if (this.generation === generation) for (const d of learned) this.learn(d);

    const grouping = new Map<number, MapRoute & { latestId: number; firstMs: number }>();
    let grouped = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const index = this.routeOfId.get(id);
      if (index === undefined) continue;
      grouped++;
      const at = startedAt[i] as number;
      const route = grouping.get(index);
      if (route) {
        route.count++;
        if (confirmed[i]) route.confirmed++;
        route.ids.push(id);
        // Newest first in: the last one seen is the oldest.
        route.firstMs = at;
        continue;
      }
      const known = this.routes[index] as KnownRoute;
      grouping.set(index, {
        key: known.key,
        count: 1,
        confirmed: confirmed[i] ? 1 : 0,
        ids: [id],
        firstSeen: '',
        lastSeen: iso(at),
        latest: known.newest,
        latestId: id,
        firstMs: at,
      });
    }
    // A filter that leaves out a route's newest detour draws (and opens) its newest matching one instead.
    const stale = [...grouping.values()].filter((r) => r.latest.id !== r.latestId);
    const fresh = new Map((await this.summaries(stale.map((r) => r.latestId))).map((d) => [d.id, d]));
    for (const r of stale) r.latest = fresh.get(r.latestId) ?? r.latest;
    const routes = [...grouping.values()].map(({ latestId: _latestId, firstMs, ...route }) => ({
      ...route,
      firstSeen: iso(firstMs),
    }));
    routes.sort(
      (a, b) => b.count - a.count || (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0),
    );
    return { routes, grouped };
  }
}
