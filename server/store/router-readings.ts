import type { RouterReading } from './router-constraint-store.ts';
import type { TraceRecord } from './trace-store.ts';

/**
 * The router constraints a batch of stored traces gives (router-constraint-store.ts), pure: per agent trace
 * with the agent's position, every address the verdict read as a public hop with its lowest RTT in the trace,
 * and per (address, agent) only the lowest of the batch. Imports (no agent), traces without a position and
 * implausible traces (no real tool printed them) give none. Whether the agent's RTTs count is decided when
 * they are read (only verified agents' do). `startedAt` (epoch ms) is the trace's start as stored.
 */
export function routerReadings(
  traces: readonly { record: TraceRecord; startedAt: number }[],
): RouterReading[] {
  const lowest = new Map<string, RouterReading>();
  for (const { record, startedAt: at } of traces) {
    const { agentId, verdict, trace } = record;
    const position = record.sourcePosition ?? null;
    if (agentId === null || position === null || verdict.verdict === 'implausible') continue;
    if (!(Number.isFinite(position.lat) && Number.isFinite(position.lon))) continue;
    const publicHops = new Set<string>();
    for (const h of verdict.hops) {
      if (h.ip !== null && h.status !== 'special' && h.status !== 'no-reply') publicHops.add(h.ip);
    }
    for (const hop of trace.hops) {
      for (const reply of hop.replies) {
        const { address, rttMs } = reply;
        if (address === null || !publicHops.has(address)) continue;
        if (rttMs === null || !Number.isFinite(rttMs) || rttMs < 0) continue;
        const key = `${address} ${agentId}`;
        const seen = lowest.get(key);
        // Untrusted text: a name longer than DNS allows is not kept.
        const printed = reply.name !== undefined && reply.name.length <= 253 ? reply.name : null;
        const name = seen?.name ?? printed;
        if (seen !== undefined && seen.rttMs <= rttMs) {
          seen.name = name;
          continue;
        }
        lowest.set(key, { ip: address, agentId, rttMs, lat: position.lat, lon: position.lon, at, name });
      }
    }
  }
  return [...lowest.values()];
}

/**
 * The upsert's SET for a reading of a stored (address, agent) pair, both engines (the row aliased `c`): a lower
 * RTT, or one measured from a new position (a bound measured from elsewhere says nothing about the new one),
 * replaces the bound; the latest name the traces carried is kept either way.
 */
const REPLACES = 'excluded.rtt_ms < c.rtt_ms OR excluded.lat <> c.lat OR excluded.lon <> c.lon';
export const REPLACE_WHEN_LOWER_OR_MOVED = `
  rtt_ms = CASE WHEN ${REPLACES} THEN excluded.rtt_ms ELSE c.rtt_ms END,
  lat = CASE WHEN ${REPLACES} THEN excluded.lat ELSE c.lat END,
  lon = CASE WHEN ${REPLACES} THEN excluded.lon ELSE c.lon END,
  at = CASE WHEN ${REPLACES} THEN excluded.at ELSE c.at END,
  name = COALESCE(excluded.name, c.name)`;
