/**
 * Re-judging when stored router constraints move a placement (issue 15, item 6). Around each stored batch's
 * cache refresh, the refreshed addresses' discs are read before and after; for an address whose discs moved,
 * its address-level decision (decidePlacement over the stored discs, as GET /api/v1/locations/{ip} makes it:
 * no trace's prober) is made with each, and when the decision moved (`placementMoved`) a change is recorded,
 * kind `constraints`, and re-judged by the corrections' loop like an operator's (one change at a time, the
 * same re-judging, incidents and `placement.changed` event). Debounced and bounded: the changes of a burst of
 * batches are recorded together at most once per `debounceMs`, at most `maxQueued` addresses wait, and
 * nothing of it holds up the batch's acknowledgement.
 */
import type { AddressInfo, GeoLocation } from '../../protocol/annotated.ts';
import type { CorrectionPlace } from '../../protocol/location-corrections.ts';
import type { LocationCorrectionStore } from '../store/location-correction-store.ts';
import type { RouterConstraintStore } from '../store/router-constraint-store.ts';
import { type Disc, feasibleRegion } from './constraints.ts';
import { decidePlacement, type OperatorCorrection, type PlacementDecision } from './decide.ts';
import type { Gazetteer } from './gazetteer.ts';
import { tokenizeHostname } from './hostname.ts';
import { readHostname } from './read-hints.ts';

/** What a verdict reads of a decision: where, by which source, and which claims the RTTs refuted. */
function placementKey(d: PlacementDecision): string {
  const l = d.location;
  return JSON.stringify([
    d.placement.source,
    l?.country ?? null,
    l?.city ?? null,
    // About a kilometre: a representative place moving a few metres changes no verdict.
    l === null ? null : [Math.round(l.lat * 100), Math.round(l.lon * 100)],
    d.placement.claims
      .filter((c) => c.status === 'refuted')
      .map((c) => `${c.source}:${c.country ?? '?'}`)
      .sort(),
  ]);
}

/** Whether the decision moved: another source, country or place, or a claim refuted that was not (or back). */
export function placementMoved(before: PlacementDecision, after: PlacementDecision): boolean {
  return placementKey(before) !== placementKey(after);
}

/** The address-level decision over `discs` (the stored constraints, no prober). */
export function decideWithDiscs(
  evidence: { address: string; hostname: string | null; database: GeoLocation | null },
  correction: OperatorCorrection | null,
  discs: readonly Disc[],
  gazetteer: () => Gazetteer,
  home: ReadonlySet<string>,
): PlacementDecision {
  const tokenized = evidence.hostname === null ? null : tokenizeHostname(evidence.hostname);
  const hints =
    tokenized === null || tokenized.labels.length === 0 ? null : readHostname(tokenized, gazetteer());
  return decidePlacement(
    { ...evidence, hints, correction, region: feasibleRegion([...discs]) },
    gazetteer,
    home,
  );
}

/** A change record's before/after: the decision's place. */
export function decisionPlace(d: PlacementDecision): CorrectionPlace | null {
  const l = d.location;
  if (l === null || l.country === null) return null;
  return { lat: l.lat, lon: l.lon, country: l.country, region: null, city: l.city };
}

const discsKey = (discs: readonly Disc[]) =>
  JSON.stringify(discs.map((d) => [d.vantage.label, d.vantage.lat, d.vantage.lon, d.rttMs]).sort());

export interface ConstraintRejudgeDeps {
  store: Pick<LocationCorrectionStore, 'recordPlacementChanges'> & Pick<RouterConstraintStore, 'routerName'>;
  discsFor(address: string): readonly Disc[];
  locate(address: string): AddressInfo;
  correctionFor(address: string): OperatorCorrection | null;
  gazetteer: () => Gazetteer;
  home: ReadonlySet<string>;
  /** The corrections' loop: re-judges every pending change, one at a time. */
  applyPending(): Promise<unknown>;
  now(): number;
  log(line: string): void;
  debounceMs?: number;
  maxQueued?: number;
}

export interface ConstraintRejudge {
  /** Around a refresh: `around(addresses, () => cache.refresh(addresses))`. */
  around(addresses: readonly string[], refresh: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

interface Moved {
  before: PlacementDecision;
  after: PlacementDecision;
}

export function createConstraintRejudge(deps: ConstraintRejudgeDeps): ConstraintRejudge {
  const debounceMs = deps.debounceMs ?? 2000;
  const maxQueued = deps.maxQueued ?? 1000;
  const queued = new Map<string, Moved>();
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  let pendingWork: Promise<void>[] = [];
  let closed = false;

  async function flush(): Promise<void> {
    timer = null;
    if (queued.size === 0) return;
    const batch = [...queued.entries()];
    queued.clear();
    const at = deps.now();
    await deps.store.recordPlacementChanges(
      batch.map(([ip, m]) => ({
        ip,
        kind: 'constraints' as const,
        by: 'constraints',
        at,
        before: decisionPlace(m.before),
        after: decisionPlace(m.after),
        note: `constraints: ${m.before.placement.source} -> ${m.after.placement.source}: ${m.after.placement.reason}`,
      })),
    );
    deps.log(`placement: ${batch.length} placement(s) moved by router constraints, to be judged again`);
    await deps.applyPending();
  }

  function schedule(): void {
    if (timer !== null || closed) return;
    timer = setTimeout(() => {
      flushing = flushing
        .then(flush)
        .catch((err: unknown) => deps.log(`placement: cannot re-judge after constraints: ${String(err)}`));
    }, debounceMs);
    timer.unref();
  }

  async function compare(address: string, before: readonly Disc[], after: readonly Disc[]): Promise<void> {
    const info = deps.locate(address);
    if (info.class !== 'global') return;
    const evidence = { address, hostname: await deps.store.routerName(address), database: info.location };
    const correction = deps.correctionFor(address);
    const was = decideWithDiscs(evidence, correction, before, deps.gazetteer, deps.home);
    const is = decideWithDiscs(evidence, correction, after, deps.gazetteer, deps.home);
    if (!placementMoved(was, is)) return;
    const earlier = queued.get(address);
    if (earlier === undefined && queued.size >= maxQueued) {
      deps.log(`placement: re-judging queue full, ${address}'s constraint change is not judged again`);
      return;
    }
    queued.set(address, { before: earlier?.before ?? was, after: is });
    schedule();
  }

  return {
    async around(addresses, refresh) {
      const distinct = [...new Set(addresses)];
      const before = distinct.map((a) => deps.discsFor(a));
      await refresh();
      if (closed) return;
      const moved = distinct.flatMap((a, i) => {
        const after = deps.discsFor(a);
        const was = before[i] as readonly Disc[];
        return discsKey(was) === discsKey(after) ? [] : [{ a, was, after }];
      });
      if (moved.length === 0) return;
      // In the background: the batch's acknowledgement does not wait for the name reads and decisions.
      const work = (async () => {
        for (const m of moved) await compare(m.a, m.was, m.after);
      })().catch((err: unknown) => deps.log(`placement: cannot compare placements: ${String(err)}`));
      pendingWork.push(work);
      work.finally(() => {
        pendingWork = pendingWork.filter((w) => w !== work);
      });
    },
    /** Drops what still waits for the debounce; finishes what runs. */
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await Promise.all(pendingWork);
      await flushing;
    },
  };
}
