import type { Trace } from '../../protocol/trace.ts';
import type { LearnedPlacement } from '../analyze/pipeline.ts';
import type { LocationCorrectionStore, StoredCorrection } from '../store/location-correction-store.ts';
import type { RouterConstraintStore } from '../store/router-constraint-store.ts';
import type { Disc } from './constraints.ts';
import type { OperatorCorrection } from './decide.ts';
import { constraintDiscs } from './stored-constraints.ts';

/**
 * What a coordinator has learned, read from its store for an offline `analyze --data` (issue 15, item 8): the
 * operators' corrections (all of them, read once: a short list) and the stored router constraints of the
 * addresses of each piece of input, read before the piece is judged (`prefetch`), so that placement's
 * synchronous hooks answer from memory. Nothing is written.
 */
export interface StoredLearning {
  /** Reads the constraints of these addresses not read yet. */
  prefetch(addresses: readonly string[]): Promise<void>;
  readonly placement: LearnedPlacement;
}

/** Addresses whose constraints are held at once; beyond it the oldest half is forgotten (and read again). */
const MAX_HELD = 200_000;

export function correctionOf(c: StoredCorrection): OperatorCorrection {
  return {
    lat: c.lat,
    lon: c.lon,
    country: c.country,
    city: c.city,
    note: `${c.note} (${c.by}, ${new Date(c.at).toISOString()})`,
  };
}

/** Every replying address of the traces, once. */
export function traceAddresses(traces: Iterable<Trace>): string[] {
  const seen = new Set<string>();
  for (const trace of traces) {
    for (const hop of trace.hops) for (const reply of hop.replies) if (reply.address) seen.add(reply.address);
  }
  return [...seen];
}

export async function storedLearning(
  store: Pick<RouterConstraintStore, 'routerConstraintsFor'> &
    Pick<LocationCorrectionStore, 'listLocationCorrections'>,
  kmPerMs: number,
): Promise<StoredLearning> {
  const corrections = new Map((await store.listLocationCorrections()).map((c) => [c.ip, correctionOf(c)]));
  const discs = new Map<string, readonly Disc[]>();
  return {
    async prefetch(addresses) {
      const missing = [...new Set(addresses)].filter((a) => !discs.has(a));
      if (missing.length === 0) return;
      if (discs.size + missing.length > MAX_HELD) {
        let drop = Math.ceil(discs.size / 2);
        for (const key of discs.keys()) {
          if (drop-- <= 0) break;
          discs.delete(key);
        }
      }
      const found = await store.routerConstraintsFor(missing);
      for (const a of missing) discs.set(a, constraintDiscs(found.get(a) ?? [], kmPerMs));
    },
    placement: {
      constraintsFor: (address) => discs.get(address) ?? [],
      correctionFor: (address) => corrections.get(address) ?? null,
    },
  };
}
