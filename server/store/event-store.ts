import type { StoredEventType } from '../../protocol/events-api.ts';

/** An event to append; `data` is a JSON object (protocol/events-api.ts names each type's shape). */
export interface NewEvent {
  type: StoredEventType;
  /** Epoch ms: when the change was made. */
  at: number;
  data: Record<string, unknown>;
}

/** An event as stored: numbered, its data kept as the JSON text it was written as. */
export interface StoredEvent {
  seq: number;
  /** A type this coordinator may not know (a newer one shares the store): readers filter, never trust it. */
  type: string;
  at: number;
  data: string;
}

export interface EventPage {
  /** In seq order, at most the limit asked for. */
  events: StoredEvent[];
  /**
   * Retention deleted every event up to this seq (0: none yet), read in the same snapshot as `events`: a
   * reader that asked for events after a lower seq lost those between.
   */
  prunedThrough: number;
}

/**
 * The replayable event stream's table (issue 12). Every trace write and incident sweep appends its events in
 * its own transaction (the engines' trace and incident writers call the engine's insert), so an event exists
 * exactly when the change it reports was committed. Sequence numbers grow in COMMIT order on both engines
 * (SQLite has one writer; PostgreSQL serialises the numbering, pg/events.ts says how), so a reader polling
 * `seq > last` never skips an event committed after its read; numbers may have gaps (rolled back writes).
 */
export interface EventStore {
  /** Appends events in one transaction of their own; resolves with their seqs once committed. */
  appendEvents(events: readonly NewEvent[]): Promise<number[]>;
  /** Events with a seq above `seq`, oldest first; `types` (absent or null: all) filters by type. */
  eventsAfter(seq: number, options: { limit: number; types?: readonly string[] | null }): Promise<EventPage>;
  /** The newest seq committed (else the retention mark, else 0): where a stream of "from now on" starts. */
  lastEventSeq(): Promise<number>;
  /**
   * Retention: deletes the events made before `before` (epoch ms), but always keeps the newest `keep`
   * (default 0) so a quiet network still has something to resume from; moves the retention mark. Resolves
   * with how many it deleted.
   */
  pruneEvents(options: { before: number; keep?: number }): Promise<number>;
  /**
   * Calls `wake` soon after events are appended, also by another coordinator where the engine can tell
   * (PostgreSQL: LISTEN/NOTIFY; SQLite: this process's own writes). Only a hint to read early: readers poll
   * as well. Resolves with the function that stops it.
   */
  watchEvents(wake: () => void): Promise<() => Promise<void>>;
}
