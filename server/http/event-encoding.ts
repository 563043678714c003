import {
  type StoredEventType,
  type StreamEvent,
  TRACE_STORED,
  type TraceStoredData,
} from '../../protocol/events-api.ts';
import type { DetourSummary } from '../../protocol/map-api.ts';
import { summarise } from '../../protocol/map-path.ts';
import type { StoredEvent } from '../store/event-store.ts';
import type { MapDataSource } from './routes-map.ts';

/** One stored event as the stream writes it: `id:` seq, `event:` type, `data:` a StreamEvent as JSON. */
export interface EncodedEvent {
  seq: number;
  type: string;
  data: string;
}

/** The detour of a trace as the map draws it; null when it is none, is gone, or is a contradicted vantage's. */
export type DetourOf = (traceId: number) => Promise<DetourSummary | null>;

/** DetourOf from the map's data: a contradicted vantage's detour is left out, as the map leaves it out. */
export function mapDetourOf(source: Pick<MapDataSource, 'getDetour'>): DetourOf {
  return async (traceId) => {
    const detail = await source.getDetour(traceId);
    return detail === null || detail.vantage === 'contradicted' ? null : summarise(detail);
  };
}

/** The stored events as the stream sends them; a detour's `trace.stored` carries its summary for the map. */
export async function encodeEvents(
  events: readonly StoredEvent[],
  detourOf: DetourOf,
  log: (line: string) => void = () => {},
): Promise<EncodedEvent[]> {
  return Promise.all(
    events.map(async (e) => {
      let data: StreamEvent['data'];
      try {
        data = JSON.parse(e.data) as StreamEvent['data'];
      } catch {
        data = {};
      }
      if (e.type === TRACE_STORED && (data as TraceStoredData).verdict === 'detour') {
        const trace = data as TraceStoredData;
        trace.detour = await detourOf(trace.traceId).catch((err) => {
          log(`events: detour #${trace.traceId} cannot be shown: ${String(err)}`);
          return null;
        });
      }
      const message: StreamEvent = {
        seq: e.seq,
        type: e.type as StoredEventType,
        at: new Date(e.at).toISOString(),
        data,
      };
      return { seq: e.seq, type: e.type, data: JSON.stringify(message) };
    }),
  );
}
