import type Database from 'better-sqlite3';
import { describeError } from '../../protocol/errors.ts';
import type { DetourDetail, DetourQuery, DetourSummary } from '../../protocol/map-api.ts';
import { summarise } from '../../protocol/map-path.ts';
import type { Confidence, Verdict } from '../../protocol/verdict.ts';
import { DETOUR_FROM, DETOUR_SELECT, type DetourRowDb, iso } from '../history/rows.ts';
import { detourWhere } from '../history/sql-filters.ts';
import { detourDetail } from './map-detour.ts';
import type { MapDataSource } from './routes-map.ts';

/** How often the live feed looks for new detours while someone is watching. */
const DEFAULT_POLL_MS = 1000;
/** Most detours one poll hands on (a backlog after a pause arrives over a few polls). */
const POLL_BATCH = 500;

/** The map's rows: the history query's detour columns plus what the agent was asked to trace. */
const SELECT = `${DETOUR_SELECT}, r.target AS result_target`;

type Row = DetourRowDb & { result_target: string | null };

function detailOf(row: Row): DetourDetail {
  return detourDetail({
    id: row.id,
    startedAt: iso(row.started_at),
    agentId: row.agent_id,
    agentName: row.agent_name,
    target: row.result_target ?? row.destination_name ?? row.destination_ip ?? '',
    sourcePosition:
      row.source_lat === null || row.source_lon === null
        ? null
        : { lat: row.source_lat, lon: row.source_lon },
    confidence: (row.confidence ?? 'probable') as Confidence,
    verdict: JSON.parse(row.verdict_json) as Verdict,
  });
}

const ms = (instant: string | undefined): number | null =>
  instant === undefined ? null : Date.parse(instant);

export interface SqliteMapSource extends MapDataSource {
  /** Stops the live feed's polling. */
  close(): void;
}

/**
 * The map's data from the coordinator's SQLite store, with the operators' history filters (same semantics:
 * `until` exclusive, country and ASN through `foreign_hops`). New detours are found by polling the trace ids
 * while anyone is subscribed: that sees every detour in the store, also those written by another coordinator
 * sharing it, and needs no hook into ingest.
 */
export function sqliteMapSource(
  db: Database.Database,
  options: { pollMs?: number; log?: (line: string) => void } = {},
): SqliteMapSource {
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const log = options.log ?? (() => {});
  const listeners = new Set<(d: DetourSummary) => void>();
  let timer: NodeJS.Timeout | null = null;
  let lastId = 0;

  const where = (q: DetourQuery) =>
    detourWhere(
      {
        since: ms(q.since),
        until: ms(q.until),
        country: q.country ?? null,
        asn: q.asn ?? null,
        agent: q.agent ?? null,
        target: null,
        confidence: q.confidence ?? null,
      },
      null,
    );

  const newer = db.prepare(
    `SELECT ${SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour' AND t.id > ? ORDER BY t.id LIMIT ${POLL_BATCH}`,
  );
  const byId = db.prepare(`SELECT ${SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour' AND t.id = ?`);
  const maxId = db.prepare(`SELECT COALESCE(MAX(id), 0) AS id FROM traces`);

  const poll = () => {
    let rows: Row[];
    try {
      rows = newer.all(lastId) as Row[];
    } catch (err) {
      // A busy or closing database must not take the coordinator down; the next poll tries again.
      log(`map: cannot read new detours: ${describeError(err)}`);
      return;
    }
    for (const row of rows) {
      lastId = Math.max(lastId, row.id);
      let summary: DetourSummary;
      try {
        summary = summarise(detailOf(row));
      } catch (err) {
        log(`map: detour #${row.id} cannot be shown: ${describeError(err)}`);
        continue;
      }
      for (const listener of listeners) listener(summary);
    }
  };

  return {
    listDetours(query) {
      const w = where(query);
      const total = (
        db.prepare(`SELECT COUNT(*) AS n FROM traces t ${w.sql}`).get(...w.params) as { n: number }
      ).n;
      const rows = db
        .prepare(
          `SELECT ${SELECT} FROM ${DETOUR_FROM} ${w.sql} ORDER BY t.started_at DESC, t.id DESC LIMIT ?`,
        )
        .all(...w.params, query.limit) as Row[];
      return { items: rows.map((r) => summarise(detailOf(r))), total };
    },
    getDetour(id) {
      const row = byId.get(id) as Row | undefined;
      return row ? detailOf(row) : null;
    },
    subscribe(listener) {
      if (listeners.size === 0) {
        lastId = (maxId.get() as { id: number }).id;
        timer = setInterval(poll, pollMs);
        timer.unref();
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
    close() {
      listeners.clear();
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
