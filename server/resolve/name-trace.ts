/**
 * Reverse names for a trace the tool ran with -n: every reply that has an address but no name asks the
 * resolver, and whatever is known when `waitMs` has passed goes into the trace. Ingest never waits longer for
 * DNS; queries still running finish into the cache, so the next trace through the same routers has them.
 */
import type { Trace } from '../../protocol/trace.ts';
import type { PtrResolver } from './ptr-resolver.ts';

/** The addresses of replies that came without a name, each once. */
export function unnamedAddresses(trace: Trace): string[] {
  const addresses = new Set<string>();
  for (const hop of trace.hops) {
    for (const reply of hop.replies) {
      if (reply.address !== null && reply.name === undefined) addresses.add(reply.address);
    }
  }
  return [...addresses];
}

/** The trace with the names known within `waitMs`; the same trace when none is. Never rejects. */
export async function nameTrace(trace: Trace, resolver: PtrResolver, waitMs: number): Promise<Trace> {
  const addresses = unnamedAddresses(trace);
  if (addresses.length === 0) return trace;
  const names = new Map<string, string>();
  const lookups = addresses.map((address) =>
    resolver.lookup(address).then((name) => {
      if (name !== null) names.set(address, name);
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  await Promise.race([Promise.all(lookups), deadline]);
  clearTimeout(timer);
  if (names.size === 0) return trace;
  return {
    ...trace,
    hops: trace.hops.map((hop) => ({
      ...hop,
      replies: hop.replies.map((reply) => {
        const name =
          reply.address === null || reply.name !== undefined ? undefined : names.get(reply.address);
        return name === undefined ? reply : { ...reply, name };
      }),
    })),
  };
}
