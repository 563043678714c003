import type { RouterConstraint, RouterConstraintStore } from '../store/router-constraint-store.ts';
import type { Disc } from './constraints.ts';
import { constraintDiscs } from './stored-constraints.ts';

/**
 * The stored router constraints placement reads synchronously (PlacementInputs.constraintsFor), held in memory
 * in the coordinator: at most `maxEntries` addresses, least recently used out first. It is refreshed for the
 * addresses of every trace batch once the batch is stored (`refresh`), so a later trace sees what earlier ones
 * measured; an address it does not hold answers no discs at once and is loaded in the background for the next
 * trace. Entries older than `maxAgeMs` are loaded again, so an agent's change of location status reaches
 * placement within that time.
 */
export interface ConstraintCache {
  /** Synchronous: the discs known now (none for an address not loaded yet, which queues its load). */
  discsFor(address: string): readonly Disc[];
  /** Reads these addresses' constraints from the store now (after a write that measured them). */
  refresh(addresses: readonly string[]): Promise<void>;
  /** Waits for background loads in flight (tests, shutdown). */
  settled(): Promise<void>;
  readonly size: number;
}

export interface ConstraintCacheOptions {
  store: Pick<RouterConstraintStore, 'routerConstraintsFor'>;
  kmPerMs: number;
  maxEntries?: number;
  maxAgeMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

interface Entry {
  discs: readonly Disc[];
  loadedAt: number;
}

/** Addresses asked in one background read. */
const LOAD_BATCH = 500;

export function createConstraintCache(options: ConstraintCacheOptions): ConstraintCache {
  const maxEntries = options.maxEntries ?? 100_000;
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, Entry>();
  const queued = new Set<string>();
  let loading: Promise<void> | null = null;

  function put(address: string, constraints: readonly RouterConstraint[]): void {
    entries.delete(address);
    entries.set(address, { discs: constraintDiscs(constraints, options.kmPerMs), loadedAt: now() });
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
  }

  async function load(addresses: readonly string[]): Promise<void> {
    const found = await options.store.routerConstraintsFor(addresses);
    for (const address of addresses) put(address, found.get(address) ?? []);
  }

  function drain(): void {
    if (loading !== null || queued.size === 0) return;
    const batch = [...queued].slice(0, LOAD_BATCH);
    for (const a of batch) queued.delete(a);
    loading = load(batch)
      .catch((err: unknown) => log(`placement: cannot read router constraints: ${String(err)}`))
      .finally(() => {
        loading = null;
        drain();
      });
  }

  return {
    discsFor(address) {
      const entry = entries.get(address);
      if (entry === undefined || now() - entry.loadedAt > maxAgeMs) {
        queued.add(address);
        queueMicrotask(drain);
        return entry?.discs ?? [];
      }
      entries.delete(address);
      entries.set(address, entry);
      return entry.discs;
    },
    async refresh(addresses) {
      const distinct = [...new Set(addresses)];
      for (let i = 0; i < distinct.length; i += LOAD_BATCH) await load(distinct.slice(i, i + LOAD_BATCH));
    },
    async settled() {
      while (loading !== null) await loading;
    },
    get size() {
      return entries.size;
    },
  };
}
