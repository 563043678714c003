import type Database from 'better-sqlite3';
import { DetourwatchError, describeError } from '../../../protocol/errors.ts';
import { observationOf } from '../../incidents/observation.ts';
import type { IncidentEvent, TraceObservation } from '../../incidents/types.ts';
import { writeEvents } from '../event-rows.ts';
import { foreignCountries, foreignHopRows, hopRows } from '../hop-rows.ts';
import type { RouterReading } from '../router-constraint-store.ts';
import { routerReadings } from '../router-readings.ts';
import {
  epochMs,
  HOP_COLUMNS,
  hopItem,
  type StoredHopRow,
  TRACE_FROM,
  TRACE_SELECT,
  type TraceRow,
  traceSummary,
} from '../rows.ts';
import type { ResultRecord, StoreCounts, TraceRecord, TraceStore, WriteOutcome } from '../trace-store.ts';
import { decodeVerdict, encodeVerdict } from '../verdict-codec.ts';
import type { InsertEvents } from './events.ts';
import type { FoldInTransaction, FoldSlot } from './incidents.ts';

export function sqliteTraces(
  db: Database.Database,
  slot: FoldSlot,
  foldInTransaction: FoldInTransaction,
  /** Router constraints (issue 15), written in the same transaction as the traces that measured them. */
  writeRouterReadings: (readings: readonly RouterReading[]) => void = () => {},
  /** The event stream (issue 12): each trace stored and each incident event, in the same transaction. */
  insertEvents: InsertEvents = () => [],
): TraceStore {
  const s = {
    insertResult: db.prepare(
      `INSERT OR IGNORE INTO results (result_id, agent_id, task_id, target, engine, started_at, duration_ms,
         received_at, output, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertTrace: db.prepare(
      `INSERT INTO traces (result_id, origin, agent_id, source_ip, destination_ip, destination_name,
         tool, method, ip_version, started_at, verdict, confidence, home_country, countries, foreign_countries,
         foreign_asns, extra_km, verdict_json, verdict_z, source_lat, source_lon, path_asns, import_key, late,
         saved_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?)`,
    ),
    importKeyKnown: db.prepare('SELECT 1 FROM traces WHERE import_key = ?').pluck(),
    importedTraceId: db.prepare('SELECT id FROM traces WHERE import_key = ?').pluck(),
    insertHop: db.prepare(
      `INSERT INTO hops (trace_id, ttl, seq, ip, rtt_ms, replies, status, country, asn)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertForeignHop: db.prepare(
      'INSERT INTO foreign_hops (trace_id, ttl, ip, country, asn, confirmed) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    trace: db.prepare(
      `SELECT ${TRACE_SELECT}, t.verdict_json, t.verdict_z, t.saved_by FROM ${TRACE_FROM} WHERE t.id = ?`,
    ),
    hops: db.prepare(`SELECT ${HOP_COLUMNS} FROM hops WHERE trace_id = ? ORDER BY ttl, seq`),
    listTraces: db.prepare(
      `SELECT ${TRACE_SELECT} FROM ${TRACE_FROM} ORDER BY t.started_at DESC, t.id DESC LIMIT ?`,
    ),
    counts: db.prepare(
      `SELECT (SELECT COUNT(*) FROM tokens) AS tokens,
         (SELECT COUNT(*) FROM agents) AS agents,
         (SELECT COUNT(*) FROM agents WHERE connected = 1) AS agentsConnected,
         (SELECT COUNT(*) FROM results) AS results,
         (SELECT COUNT(*) FROM results WHERE error IS NOT NULL) AS resultsWithErrors,
         (SELECT COUNT(*) FROM traces) AS traces`,
    ),
  };

  /** Writes one trace with its hops and foreign hops; returns what the incident fold reads of it. */
  function writeTrace(
    resultRowId: number | null,
    record: TraceRecord & { savedBy?: string | null },
    fallbackStart: string | null,
    importKey: string | null = null,
  ): TraceObservation {
    const { trace, verdict: v } = record;
    // A tool's own start time is untrusted text: fall back to the agent's (validated) one.
    const ownStart = Date.parse(trace.startedAt ?? '');
    if (Number.isNaN(ownStart) && fallbackStart === null) {
      throw new DetourwatchError('STORE_FAILED', 'an imported trace without a start time cannot be stored');
    }
    const startedAt = Number.isNaN(ownStart) ? epochMs(fallbackStart ?? '') : ownStart;
    const position = record.sourcePosition ?? null;
    const { lastInsertRowid } = s.insertTrace.run(
      resultRowId,
      record.origin,
      record.agentId,
      trace.source.address,
      trace.destination.address,
      trace.destination.name ?? null,
      trace.tool,
      trace.method,
      trace.ipVersion,
      startedAt,
      v.verdict,
      v.confidence,
      v.homeCountry,
      JSON.stringify(v.countries),
      JSON.stringify(foreignCountries(v)),
      JSON.stringify(v.foreignAsns),
      v.extraKm,
      encodeVerdict(v),
      position?.lat ?? null,
      position?.lon ?? null,
      record.pathAsns ? JSON.stringify(record.pathAsns) : null,
      importKey,
      record.late === true ? 1 : 0,
      record.savedBy ?? null,
    );
    for (const h of hopRows(trace, v)) {
      s.insertHop.run(lastInsertRowid, h.ttl, h.seq, h.ip, h.rttMs, h.replies, h.status, h.country, h.asn);
    }
    for (const f of foreignHopRows(v)) {
      s.insertForeignHop.run(lastInsertRowid, f.ttl, f.ip, f.country, f.asn, f.confirmed ? 1 : 0);
    }
    return observationOf({
      traceId: Number(lastInsertRowid),
      agentId: record.agentId,
      trace,
      verdict: v,
      startedAt,
      sourcePosition: position,
      pathAsns: record.pathAsns ?? null,
      late: record.late === true,
    });
  }

  /**
   * Runs `write` and the bound incident fold over what it wrote in ONE transaction (IMMEDIATE: it takes the
   * write lock first, so a concurrent writer makes it wait, not fail). Anything that throws, the fold
   * included, rolls all of it back and rejects the write: a stored trace is always in its incident. The
   * fold's events go out only after the commit.
   */
  function withFold<T>(write: (written: TraceObservation[]) => T): T {
    const binding = slot.binding;
    let events: IncidentEvent[] = [];
    const value = db
      .transaction(() => {
        const written: TraceObservation[] = [];
        const result = write(written);
        if (binding) {
          try {
            events = foldInTransaction(binding, written);
          } catch (err) {
            throw new DetourwatchError(
              'STORE_FAILED',
              `cannot fold ${written.length} trace(s) into incidents, so none was stored: ${describeError(err)}`,
              { cause: err },
            );
          }
        }
        insertEvents(writeEvents(written, events, Date.now()));
        return result;
      })
      .immediate();
    if (binding && events.length > 0) {
      try {
        binding.committed(events);
      } catch {
        // The write is durable: answering it as failed would make the sender store it again.
      }
    }
    return value;
  }

  function writeResult(r: ResultRecord, written: TraceObservation[]): WriteOutcome {
    const inserted = s.insertResult.run(
      r.resultId,
      r.agentId,
      r.taskId,
      r.target,
      r.engine,
      epochMs(r.startedAt),
      r.durationMs,
      epochMs(r.receivedAt),
      r.output,
      r.error,
    );
    if (inserted.changes === 0) return 'duplicate';
    const resultRowId = Number(inserted.lastInsertRowid);
    const measured: { record: TraceRecord; startedAt: number }[] = [];
    for (const t of r.traces) {
      const observation = writeTrace(resultRowId, t, r.startedAt);
      written.push(observation);
      measured.push({ record: t, startedAt: observation.startedAt });
    }
    writeRouterReadings(routerReadings(measured));
    return 'stored';
  }

  return {
    async writeResults(records) {
      return withFold((written) => records.map((r) => writeResult(r, written)));
    },
    async knownImportKeys(keys) {
      return new Set(keys.filter((k) => s.importKeyKnown.get(k) !== undefined));
    },
    async writeImported(records) {
      return withFold((written) => {
        let stored = 0;
        for (const r of records) {
          // Checked inside the write transaction, so no other writer can store the key in between.
          if (s.importKeyKnown.get(r.importKey) !== undefined) continue;
          written.push(writeTrace(null, r, null, r.importKey));
          stored++;
        }
        return stored;
      });
    },
    async importedTraceIds(keys) {
      const found = new Map<string, number>();
      for (const k of keys) {
        const id = s.importedTraceId.get(k) as number | undefined;
        if (id !== undefined) found.set(k, id);
      }
      return found;
    },
    async getTrace(id) {
      type DetailRow = TraceRow & { verdict_json: string; verdict_z: Buffer | null; saved_by: string | null };
      const row = s.trace.get(id) as DetailRow | undefined;
      if (!row) return null;
      return {
        ...traceSummary(row),
        verdictDetail: decodeVerdict(row.verdict_json, row.verdict_z),
        hops: (s.hops.all(id) as StoredHopRow[]).map(hopItem),
        ...(row.saved_by === null ? {} : { savedBy: row.saved_by }),
      };
    },
    async listTraces(options) {
      return (s.listTraces.all(options.limit) as TraceRow[]).map(traceSummary);
    },
    async counts() {
      return s.counts.get() as StoreCounts;
    },
  };
}
