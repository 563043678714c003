/**
 * The coordinator's reverse-name lookups (agents trace with -n and send no DNS queries of their own): PTR
 * queries through node:dns, each answer cached (names for an hour, "no name" for five minutes, a failed
 * query for one), at most `maxInFlight` queries at a time, each bounded by the resolver's timeout and tries.
 * node:dns does not expose a PTR answer's TTL, so the cache lifetimes are fixed.
 */
import { Resolver } from 'node:dns/promises';
import { inspectAddress } from '../../protocol/address/classify.ts';
import type { AddressClass } from '../../protocol/annotated.ts';
import { describeError } from '../../protocol/errors.ts';
import { arpaName } from './arpa-name.ts';
import { cleanPtrName } from './ptr-name.ts';
import { createTtlCache } from './ttl-cache.ts';

export interface PtrResolverOptions {
  /** DNS servers (`127.0.0.1:5353`, see resolver-address.ts); absent or null: the system's (/etc/resolv.conf). */
  servers?: readonly string[] | null;
  /** Ask for documentation addresses too (labs and tests place them); other special ranges never. */
  lookUpDocumentation?: boolean;
  /** One try's timeout (default 2 s) and how many tries (default 1). */
  timeoutMs?: number;
  tries?: number;
  /** Queries at a time (default 32); the rest wait their turn. */
  maxInFlight?: number;
  /** Cached answers (default 100,000), least recently used evicted. */
  maxEntries?: number;
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  failureTtlMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface PtrResolverStats {
  /** PTR queries sent. */
  queries: number;
  /** Answered from the cache (names and "no name" alike). */
  cacheHits: number;
  /** Answers without a name (NXDOMAIN, no PTR record). */
  noName: number;
  /** Queries that failed (timeout, refused, server failure). */
  failures: number;
  /** Names in answers that were not plausible host names, dropped. */
  droppedNames: number;
  /** Addresses not asked about: special ranges, or not an address. */
  skipped: number;
}

export interface PtrResolver {
  /** The address's reverse name, null when it has none, is special or the query failed. Never rejects. */
  lookup(address: string): Promise<string | null>;
  /** What the cache knows now: a name, null for "no name", undefined when not known (or not fresh). */
  known(address: string): string | null | undefined;
  stats(): PtrResolverStats;
  /** Cancels queries in flight (they answer null) and refuses new ones. */
  close(): void;
}

const NO_NAME_CODES = new Set(['ENOTFOUND', 'ENODATA']);

export function createPtrResolver(options: PtrResolverOptions = {}): PtrResolver {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const maxInFlight = options.maxInFlight ?? 32;
  const ttl = {
    name: options.positiveTtlMs ?? 3_600_000,
    noName: options.negativeTtlMs ?? 300_000,
    failure: options.failureTtlMs ?? 60_000,
  };
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 1 });
  if (options.servers) resolver.setServers([...options.servers]);
  const allowed = new Set<AddressClass>(
    options.lookUpDocumentation === true ? ['global', 'documentation'] : ['global'],
  );
  const cache = createTtlCache<string | null>(options.maxEntries ?? 100_000, now);
  const pending = new Map<string, Promise<string | null>>();
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let closed = false;
  const stats: PtrResolverStats = {
    queries: 0,
    cacheHits: 0,
    noName: 0,
    failures: 0,
    droppedNames: 0,
    skipped: 0,
  };

  /** The canonical form to ask about, or null for what is never asked about. */
  function askable(address: string): string | null {
    try {
      const inspected = inspectAddress(address);
      // An embedding form (6to4, NAT64...) is the IPv4 host's business, not a name of the IPv6 address.
      return allowed.has(inspected.class) && inspected.embedded === undefined
        ? inspected.lookupAddress
        : null;
    } catch {
      return null;
    }
  }

  async function turn(): Promise<void> {
    if (inFlight < maxInFlight) {
      inFlight += 1;
      return;
    }
    // The finishing query hands its slot over, so inFlight stays counted.
    await new Promise<void>((resolve) => waiting.push(resolve));
  }

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else inFlight -= 1;
  }

  /** The first plausible name of the answer; the others are counted as dropped. */
  function pick(names: readonly string[]): string | null {
    let chosen: string | null = null;
    for (const raw of names) {
      const clean = cleanPtrName(raw);
      if (clean === null) stats.droppedNames += 1;
      else chosen ??= clean;
    }
    return chosen;
  }

  async function query(address: string): Promise<string | null> {
    await turn();
    try {
      if (closed) return null;
      stats.queries += 1;
      const name = pick(await resolver.resolvePtr(arpaName(address) ?? address));
      cache.set(address, name, name === null ? ttl.noName : ttl.name);
      if (name === null) stats.noName += 1;
      return name;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (NO_NAME_CODES.has(code)) {
        stats.noName += 1;
        cache.set(address, null, ttl.noName);
      } else if (!closed) {
        stats.failures += 1;
        cache.set(address, null, ttl.failure);
        log(`resolve: PTR for ${address} failed: ${describeError(err)}`);
      }
      return null;
    } finally {
      release();
    }
  }

  return {
    lookup(address) {
      const ask = askable(address);
      if (ask === null || closed) {
        stats.skipped += 1;
        return Promise.resolve(null);
      }
      const cached = cache.get(ask);
      if (cached !== undefined) {
        stats.cacheHits += 1;
        return Promise.resolve(cached);
      }
      let running = pending.get(ask);
      if (running === undefined) {
        running = query(ask).finally(() => pending.delete(ask));
        pending.set(ask, running);
      }
      return running;
    },
    known(address) {
      const ask = askable(address);
      return ask === null ? null : cache.get(ask);
    },
    stats: () => ({ ...stats }),
    close() {
      closed = true;
      resolver.cancel();
      for (const wake of waiting.splice(0)) wake();
    },
  };
}
