import type { Position } from '../../protocol/messages.ts';
import type { TraceObservation } from '../incidents/types.ts';
import type { VantageSample } from '../store/vantage-store.ts';

/**
 * The RTT readings a stored trace gives the vantage checks (vantage.ts), pure: its first public hop where a
 * City database placed it, and, when its destination is another agent's public address, the RTT between the
 * two agents (the mesh), or when it is a landmark (a target whose position the operator states), the RTT to
 * that known place. Imports have no agent to check and give none.
 */
export function rttSamples(
  o: TraceObservation,
  agentAt: ReadonlyMap<string, string>,
  landmarks: ReadonlyMap<string, Position> = new Map(),
): VantageSample[] {
  if (o.agentId === null) return [];
  const samples: VantageSample[] = [];
  const hop = o.firstHop ?? null;
  if (hop !== null && Number.isFinite(hop.rttMs) && hop.rttMs >= 0) {
    samples.push({
      agentId: o.agentId,
      kind: 'first-hop',
      subject: hop.ip,
      rttMs: hop.rttMs,
      lat: hop.lat,
      lon: hop.lon,
      asn: hop.asn,
      city: hop.city,
      at: o.startedAt,
    });
  }
  const rtt = o.destinationRttMs ?? null;
  const peer = o.destinationIp === null ? undefined : agentAt.get(o.destinationIp);
  if (rtt !== null && rtt >= 0 && peer !== undefined && peer !== o.agentId) {
    samples.push({
      agentId: o.agentId,
      kind: 'mesh',
      subject: peer,
      rttMs: rtt,
      lat: null,
      lon: null,
      asn: null,
      city: null,
      at: o.startedAt,
    });
  }
  const landmark = o.destinationIp === null ? undefined : landmarks.get(o.destinationIp);
  if (rtt !== null && rtt >= 0 && landmark !== undefined && o.destinationIp !== null) {
    samples.push({
      agentId: o.agentId,
      kind: 'landmark',
      subject: o.destinationIp,
      rttMs: rtt,
      lat: landmark.lat,
      lon: landmark.lon,
      asn: null,
      city: null,
      at: o.startedAt,
    });
  }
  return samples;
}
