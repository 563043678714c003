import type { AnnotatedTrace } from '../../protocol/annotated.ts';
import type { Conventions, SuffixConvention } from './convention.ts';
import type { Gazetteer } from './gazetteer.ts';
import { type HostnameObservation, learnConventions } from './learning.ts';

/**
 * The named hops of one analysed trace as learning observations: each responding global address with a reverse
 * name, at its lowest RTT, from the prober. Only a declared prober position counts: a position looked up from the
 * source address is itself a database guess and would "confirm" readings near it.
 */
export function observationsOf(annotated: AnnotatedTrace): HostnameObservation[] {
  const position = annotated.sourcePosition;
  if (position === null || position.source !== 'declared') return [];
  const seen = new Map<string, { hostname: string | null; rttMs: number | null }>();
  for (const hop of annotated.trace.hops) {
    for (const reply of hop.replies) {
      if (reply.address === null || annotated.addresses[reply.address]?.class !== 'global') continue;
      const entry = seen.get(reply.address) ?? { hostname: null, rttMs: null };
      if (entry.hostname === null && reply.name) entry.hostname = reply.name;
      const rtt = reply.rttMs;
      if (rtt !== null && Number.isFinite(rtt) && rtt >= 0 && (entry.rttMs === null || rtt < entry.rttMs))
        entry.rttMs = rtt;
      seen.set(reply.address, entry);
    }
  }
  const vantage = { lat: position.lat, lon: position.lon, label: 'an agent' };
  const out: HostnameObservation[] = [];
  for (const [address, { hostname, rttMs }] of seen) {
    if (hostname !== null && rttMs !== null) out.push({ address, hostname, vantage, rttMs });
  }
  return out;
}

export interface ConventionKeeperOptions {
  gazetteer: () => Gazetteer;
  kmPerMs: number;
  /** Observations kept (the newest); default 50,000. */
  window?: number;
  /** Relearn after this many new observations; default 5,000 (a learning over 50,000 takes about 0.5 s). */
  relearnEvery?: number;
  /** Or when this long has passed since the last learning and something new arrived; default 5 minutes. */
  relearnAfterMs?: number;
  now?: () => number;
}

export interface ConventionKeeper {
  /** Adds observations (the oldest beyond the window drop out) and relearns when due. */
  observe(observations: readonly HostnameObservation[]): void;
  /** A live view: placement reads it at call time and sees the latest learning. */
  readonly conventions: Conventions;
  /** Observations held now. */
  size(): number;
  /** How many times the conventions were learned. */
  learnings(): number;
}

/** Keeps a bounded window of hostname observations and the conventions last learned from it (no I/O). */
export function createConventionKeeper(options: ConventionKeeperOptions): ConventionKeeper {
  const window = options.window ?? 50_000;
  const relearnEvery = options.relearnEvery ?? 5000;
  const relearnAfterMs = options.relearnAfterMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  // A ring: `next` is where the next observation goes once the buffer is full.
  const buffer: HostnameObservation[] = [];
  let next = 0;
  let pending = 0;
  let learnedAt = now();
  let count = 0;
  let current: Conventions = new Map();
  const relearn = () => {
    current = learnConventions(buffer, options.gazetteer(), { kmPerMs: options.kmPerMs });
    pending = 0;
    learnedAt = now();
    count++;
  };
  const view: Conventions = {
    get: (suffix: string): SuffixConvention | undefined => current.get(suffix),
    has: (suffix: string) => current.has(suffix),
    get size() {
      return current.size;
    },
    forEach: (fn, thisArg) => {
      current.forEach(fn, thisArg);
    },
    entries: () => current.entries(),
    keys: () => current.keys(),
    values: () => current.values(),
    [Symbol.iterator]: () => current[Symbol.iterator](),
  };
  return {
    observe(observations) {
      for (const o of observations) {
        if (buffer.length < window) buffer.push(o);
        else {
          buffer[next] = o;
          next = (next + 1) % window;
        }
      }
      pending += observations.length;
      if (pending === 0) return;
      if (pending >= relearnEvery || now() - learnedAt >= relearnAfterMs) relearn();
    },
    conventions: view,
    size: () => buffer.length,
    learnings: () => count,
  };
}
