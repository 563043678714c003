import type Database from 'better-sqlite3';
import { DetourwatchError, describeError } from '../../../protocol/errors.ts';
import { incidentKey } from '../../incidents/incident-key.ts';
import { observationOf } from '../../incidents/observation.ts';
import { rebuildFoldContext, rejudgeFoldContext } from '../../incidents/rebuild.ts';
import type { IncidentEvent } from '../../incidents/types.ts';
import { foreignCountries, foreignHopRows, hopRows } from '../hop-rows.ts';
import {
  CANDIDATE_FROM,
  CANDIDATE_SELECT,
  type CandidateRow,
  CHANGE_COLUMNS,
  type ChangeRow,
  CORRECTION_COLUMNS,
  type CorrectionRow,
  candidateFromRow,
  changeFromRow,
  correctionFromRow,
  lowestPerPosition,
  pendingChangeParams,
  placeOf,
  READING_ROWS,
  type ReadingRow,
} from '../location-correction-rows.ts';
import type { LocationCorrectionStore, RejudgedLink } from '../location-correction-store.ts';
import {
  HOP_COLUMNS,
  INCIDENT_COLUMNS,
  type IncidentRow,
  incidentFromRow,
  NOT_CONTRADICTED,
  OBSERVATION_SELECT,
  type ObservationRow,
  observationFromRow,
  type StoredHopRow,
} from '../rows.ts';
import type { FoldInTransaction, FoldSlot } from './incidents.ts';

/** Operators' corrections, the placement-change log and re-judging's reads and writes on SQLite. */
export function sqliteLocationCorrections(
  db: Database.Database,
  slot: FoldSlot,
  foldInTransaction: FoldInTransaction,
): LocationCorrectionStore {
  const s = {
    list: db.prepare(`SELECT ${CORRECTION_COLUMNS} FROM location_corrections ORDER BY ip`),
    get: db.prepare(`SELECT ${CORRECTION_COLUMNS} FROM location_corrections WHERE ip = ?`),
    upsert: db.prepare(
      `INSERT INTO location_corrections (${CORRECTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (ip) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, country = excluded.country,
         region = excluded.region, city = excluded.city, note = excluded.note, by_whom = excluded.by_whom,
         at = excluded.at`,
    ),
    remove: db.prepare('DELETE FROM location_corrections WHERE ip = ?'),
    insertChange: db.prepare(
      `INSERT INTO placement_changes (ip, kind, by_whom, at, before_json, after_json, note, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`,
    ),
    change: db.prepare(`SELECT ${CHANGE_COLUMNS} FROM placement_changes WHERE id = ?`),
    pending: db.prepare(
      `SELECT ${CHANGE_COLUMNS} FROM placement_changes WHERE state = 'pending' ORDER BY id LIMIT ?`,
    ),
    finish: db.prepare(
      `UPDATE placement_changes SET state = ?, applied_at = ?, window_from = ?, traces_rejudged = ?,
         verdicts_changed = ?, changes_json = ?, error = ? WHERE id = ?`,
    ),
    changes: db.prepare(`SELECT ${CHANGE_COLUMNS} FROM placement_changes ORDER BY id DESC LIMIT ?`),
    changesOf: db.prepare(
      `SELECT ${CHANGE_COLUMNS} FROM placement_changes WHERE ip = ? ORDER BY id DESC LIMIT ?`,
    ),
    readings: db.prepare(
      `SELECT h.trace_id, t.agent_id, a.name AS agent_name, COALESCE(t.source_lat, a.lat) AS lat,
         COALESCE(t.source_lon, a.lon) AS lon, h.rtt_ms, t.started_at
       FROM hops h JOIN traces t ON t.id = h.trace_id LEFT JOIN agents a ON a.id = t.agent_id
       WHERE h.ip = ? AND h.rtt_ms IS NOT NULL AND t.verdict <> 'implausible'
         AND COALESCE(t.source_lat, a.lat) IS NOT NULL AND COALESCE(t.source_lon, a.lon) IS NOT NULL
         AND ${NOT_CONTRADICTED}
       ORDER BY h.rtt_ms LIMIT ?`,
    ),
    candidateIds: db.prepare(
      `SELECT DISTINCT t.id, t.started_at FROM hops h JOIN traces t ON t.id = h.trace_id
       WHERE h.ip = ? AND t.started_at >= ? AND t.verdict <> 'implausible'
       ORDER BY t.started_at DESC, t.id DESC LIMIT ?`,
    ),
    candidate: db.prepare(`SELECT ${CANDIDATE_SELECT} FROM ${CANDIDATE_FROM} WHERE t.id = ?`),
    hops: db.prepare(`SELECT ${HOP_COLUMNS} FROM hops WHERE trace_id = ? ORDER BY ttl, seq`),
    updateTrace: db.prepare(
      `UPDATE traces SET verdict = ?, confidence = ?, countries = ?, foreign_countries = ?, foreign_asns = ?,
         extra_km = ?, verdict_json = ?, verdict_z = NULL, path_asns = COALESCE(?, path_asns)
       WHERE id = ? AND verdict <> 'implausible'`,
    ),
    hopsKept: db.prepare('SELECT hops_purged_at IS NULL FROM traces WHERE id = ?').pluck(),
    deleteHops: db.prepare('DELETE FROM hops WHERE trace_id = ?'),
    insertHop: db.prepare(
      `INSERT INTO hops (trace_id, ttl, seq, ip, rtt_ms, replies, status, country, asn)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteForeign: db.prepare('DELETE FROM foreign_hops WHERE trace_id = ?'),
    insertForeign: db.prepare(
      'INSERT INTO foreign_hops (trace_id, ttl, ip, country, asn, confirmed) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    linkOf: db.prepare(
      `SELECT it.incident_id, i.key FROM incident_traces it JOIN incidents i ON i.id = it.incident_id
       WHERE it.trace_id = ?`,
    ),
    incidentOf: db.prepare('SELECT incident_id FROM incident_traces WHERE trace_id = ?').pluck(),
    unlink: db.prepare('DELETE FROM incident_traces WHERE trace_id = ?'),
    incident: db.prepare(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = ?`),
    kept: db.prepare(
      `SELECT ${OBSERVATION_SELECT} FROM traces t LEFT JOIN agents a ON a.id = t.agent_id
       JOIN incident_traces it ON it.trace_id = t.id WHERE it.incident_id = ?`,
    ),
    unlinkAll: db.prepare('DELETE FROM incident_traces WHERE incident_id = ?'),
    deleteIncident: db.prepare('DELETE FROM incidents WHERE id = ?'),
  };

  const changeById = (id: number) => changeFromRow(s.change.get(id) as ChangeRow);

  return {
    async listLocationCorrections() {
      return (s.list.all() as CorrectionRow[]).map(correctionFromRow);
    },
    async getLocationCorrection(ip) {
      const row = s.get.get(ip) as CorrectionRow | undefined;
      return row ? correctionFromRow(row) : null;
    },
    async setLocationCorrections(corrections) {
      const ids = db
        .transaction(() =>
          corrections.map((c) => {
            const before = s.get.get(c.ip) as CorrectionRow | undefined;
            s.upsert.run(c.ip, c.lat, c.lon, c.country, c.region, c.city, c.note, c.by, c.at);
            const params = pendingChangeParams({
              ip: c.ip,
              kind: 'set',
              by: c.by,
              at: c.at,
              before: before ? placeOf(correctionFromRow(before)) : null,
              after: placeOf(c),
              note: c.note,
            });
            return Number(s.insertChange.run(...params).lastInsertRowid);
          }),
        )
        .immediate();
      return ids.map(changeById);
    },
    async removeLocationCorrection(ip, by, at) {
      const id = db
        .transaction(() => {
          const before = s.get.get(ip) as CorrectionRow | undefined;
          if (!before) return null;
          s.remove.run(ip);
          const params = pendingChangeParams({
            ip,
            kind: 'remove',
            by,
            at,
            before: placeOf(correctionFromRow(before)),
            after: null,
            note: null,
          });
          return Number(s.insertChange.run(...params).lastInsertRowid);
        })
        .immediate();
      return id === null ? null : changeById(id);
    },
    async recordPlacementChanges(changes) {
      const ids = db
        .transaction(() =>
          changes.map((c) => Number(s.insertChange.run(...pendingChangeParams(c)).lastInsertRowid)),
        )
        .immediate();
      return ids.map(changeById);
    },
    async proberReadings(ip, limit) {
      return lowestPerPosition(s.readings.all(ip, READING_ROWS) as ReadingRow[], limit);
    },
    async rejudgeCandidates(ip, since, limit) {
      const ids = s.candidateIds.all(ip, since, limit) as { id: number }[];
      return ids.flatMap(({ id }) => {
        const row = s.candidate.get(id) as CandidateRow | undefined;
        return row ? [candidateFromRow(row, s.hops.all(id) as StoredHopRow[])] : [];
      });
    },
    async writeRejudged(traces) {
      const binding = slot.binding;
      let events: IncidentEvent[] = [];
      const links = db
        .transaction((): RejudgedLink[] => {
          const left = new Map<number, number>();
          const affected = new Set<number>();
          for (const r of traces) {
            const v = r.verdict;
            s.updateTrace.run(
              v.verdict,
              v.confidence,
              JSON.stringify(v.countries),
              JSON.stringify(foreignCountries(v)),
              JSON.stringify(v.foreignAsns),
              v.extraKm,
              JSON.stringify(v),
              r.pathAsns === null ? null : JSON.stringify(r.pathAsns),
              r.traceId,
            );
            if (s.hopsKept.get(r.traceId) === 1) {
              s.deleteHops.run(r.traceId);
              for (const h of hopRows(r.trace, v)) {
                s.insertHop.run(
                  r.traceId,
                  h.ttl,
                  h.seq,
                  h.ip,
                  h.rttMs,
                  h.replies,
                  h.status,
                  h.country,
                  h.asn,
                );
              }
            }
            s.deleteForeign.run(r.traceId);
            for (const f of foreignHopRows(v)) {
              s.insertForeign.run(r.traceId, f.ttl, f.ip, f.country, f.asn, f.confirmed ? 1 : 0);
            }
          }
          if (binding === null)
            return traces.map((r) => ({ traceId: r.traceId, left: null, incident: null }));
          const observations = traces.map((r) => observationOf(r));
          // A trace whose cause is not its incident's any more leaves it; the incident is rebuilt from the rest.
          for (const o of observations) {
            const link = s.linkOf.get(o.traceId) as { incident_id: number; key: string } | undefined;
            if (!link || incidentKey(o)?.key === link.key) continue;
            s.unlink.run(o.traceId);
            left.set(o.traceId, link.incident_id);
            affected.add(link.incident_id);
          }
          for (const id of affected) {
            const old = incidentFromRow(s.incident.get(id) as IncidentRow);
            const kept = (s.kept.all(id) as ObservationRow[]).map(observationFromRow);
            s.unlinkAll.run(id);
            if (kept.length === 0) s.deleteIncident.run(id);
            else foldInTransaction(rebuildFoldContext(binding, old), kept);
          }
          try {
            events = foldInTransaction(rejudgeFoldContext(binding), observations);
          } catch (err) {
            throw new DetourwatchError(
              'STORE_FAILED',
              `cannot fold ${observations.length} re-judged trace(s) into incidents, so none was changed: ${describeError(err)}`,
              { cause: err },
            );
          }
          return traces.map((r) => ({
            traceId: r.traceId,
            left: left.get(r.traceId) ?? null,
            incident: (s.incidentOf.get(r.traceId) as number | undefined) ?? null,
          }));
        })
        .immediate();
      if (binding && events.length > 0) {
        try {
          binding.committed(events);
        } catch {
          // Committed: the events' consumers log their own failures.
        }
      }
      return links;
    },
    async pendingPlacementChanges(limit) {
      return (s.pending.all(limit) as ChangeRow[]).map(changeFromRow);
    },
    async finishPlacementChange(id, r) {
      s.finish.run(
        r.state,
        r.appliedAt,
        r.windowFrom,
        r.tracesRejudged,
        r.verdictsChanged,
        JSON.stringify(r.changes),
        r.error,
        id,
      );
    },
    async placementChanges({ ip, limit }) {
      const rows = ip ? s.changesOf.all(ip, limit) : s.changes.all(limit);
      return (rows as ChangeRow[]).map(changeFromRow);
    },
  };
}
