import type { ClientBase } from 'pg';
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
import type { PgFoldInTransaction } from './incidents.ts';
import { row, rows } from './query.ts';
import type { PgState } from './state.ts';
import { inTransaction, writeFailure } from './transaction.ts';

const INSERT_CHANGE = `INSERT INTO placement_changes (ip, kind, by_whom, at, before_json, after_json, note, state)
  VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') RETURNING ${CHANGE_COLUMNS}`;

async function correctionOf(db: ClientBase | PgState['pool'], ip: string): Promise<CorrectionRow | null> {
  return row<CorrectionRow>(db, `SELECT ${CORRECTION_COLUMNS} FROM location_corrections WHERE ip = $1`, [ip]);
}

async function rewriteTrace(
  client: ClientBase,
  r: Parameters<LocationCorrectionStore['writeRejudged']>[0][number],
): Promise<void> {
  const v = r.verdict;
  const kept = await row<{ kept: boolean }>(
    client,
    `UPDATE traces SET verdict = $1, confidence = $2, countries = $3, foreign_countries = $4, foreign_asns = $5,
       extra_km = $6, verdict_json = $7, verdict_z = NULL, path_asns = COALESCE($8, path_asns)
     WHERE id = $9 AND started_at = $10 AND verdict <> 'implausible'
     RETURNING hops_purged_at IS NULL AS kept`,
    [
      v.verdict,
      v.confidence,
      JSON.stringify(v.countries),
      JSON.stringify(foreignCountries(v)),
      JSON.stringify(v.foreignAsns),
      v.extraKm,
      JSON.stringify(v),
      r.pathAsns === null ? null : JSON.stringify(r.pathAsns),
      r.traceId,
      r.startedAt,
    ],
  );
  if (kept?.kept) {
    await client.query('DELETE FROM hops WHERE trace_id = $1 AND started_at = $2', [r.traceId, r.startedAt]);
    const hops = hopRows(r.trace, v);
    if (hops.length > 0) {
      await client.query(
        `INSERT INTO hops (trace_id, started_at, ttl, seq, ip, rtt_ms, replies, status, country, asn)
         SELECT $1::bigint, $2::bigint, * FROM unnest($3::smallint[], $4::smallint[], $5::text[], $6::float8[],
           $7::integer[], $8::text[], $9::text[], $10::bigint[])`,
        [
          r.traceId,
          r.startedAt,
          hops.map((h) => h.ttl),
          hops.map((h) => h.seq),
          hops.map((h) => h.ip),
          hops.map((h) => h.rttMs),
          hops.map((h) => h.replies),
          hops.map((h) => h.status),
          hops.map((h) => h.country),
          hops.map((h) => h.asn),
        ],
      );
    }
  }
  await client.query('DELETE FROM foreign_hops WHERE trace_id = $1', [r.traceId]);
  const foreign = foreignHopRows(v);
  if (foreign.length > 0) {
    await client.query(
      `INSERT INTO foreign_hops (trace_id, started_at, ttl, ip, country, asn, confirmed)
       SELECT $1::bigint, $2::bigint, * FROM unnest($3::smallint[], $4::text[], $5::text[], $6::bigint[],
         $7::boolean[])`,
      [
        r.traceId,
        r.startedAt,
        foreign.map((f) => f.ttl),
        foreign.map((f) => f.ip),
        foreign.map((f) => f.country),
        foreign.map((f) => f.asn),
        foreign.map((f) => f.confirmed),
      ],
    );
  }
}

/** Operators' corrections, the placement-change log and re-judging's reads and writes on PostgreSQL. */
export function pgLocationCorrections(
  state: PgState,
  foldInTransaction: PgFoldInTransaction,
): LocationCorrectionStore {
  const { pool } = state;
  return {
    async listLocationCorrections() {
      return (
        await rows<CorrectionRow>(pool, `SELECT ${CORRECTION_COLUMNS} FROM location_corrections ORDER BY ip`)
      ).map(correctionFromRow);
    },
    async getLocationCorrection(ip) {
      const found = await correctionOf(pool, ip);
      return found ? correctionFromRow(found) : null;
    },
    async setLocationCorrections(corrections) {
      try {
        return await inTransaction(pool, async (client) => {
          const changes = [];
          for (const c of corrections) {
            const before = await correctionOf(client, c.ip);
            await client.query(
              `INSERT INTO location_corrections (${CORRECTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (ip) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, country = excluded.country,
                 region = excluded.region, city = excluded.city, note = excluded.note,
                 by_whom = excluded.by_whom, at = excluded.at`,
              [c.ip, c.lat, c.lon, c.country, c.region, c.city, c.note, c.by, c.at],
            );
            const params = pendingChangeParams({
              ip: c.ip,
              kind: 'set',
              by: c.by,
              at: c.at,
              before: before ? placeOf(correctionFromRow(before)) : null,
              after: placeOf(c),
              note: c.note,
            });
            changes.push(changeFromRow((await row<ChangeRow>(client, INSERT_CHANGE, params)) as ChangeRow));
          }
          return changes;
        });
      } catch (err) {
        throw writeFailure(err, 'the corrections');
      }
    },
    async removeLocationCorrection(ip, by, at) {
      try {
        return await inTransaction(pool, async (client) => {
          const before = await row<CorrectionRow>(
            client,
            `DELETE FROM location_corrections WHERE ip = $1 RETURNING ${CORRECTION_COLUMNS}`,
            [ip],
          );
          if (before === null) return null;
          const params = pendingChangeParams({
            ip,
            kind: 'remove',
            by,
            at,
            before: placeOf(correctionFromRow(before)),
            after: null,
            note: null,
          });
          return changeFromRow((await row<ChangeRow>(client, INSERT_CHANGE, params)) as ChangeRow);
        });
      } catch (err) {
        throw writeFailure(err, 'the removal');
      }
    },
    async recordPlacementChanges(changes) {
      try {
        return await inTransaction(pool, async (client) => {
          const recorded = [];
          for (const c of changes) {
            const params = pendingChangeParams(c);
            recorded.push(changeFromRow((await row<ChangeRow>(client, INSERT_CHANGE, params)) as ChangeRow));
          }
          return recorded;
        });
      } catch (err) {
        throw writeFailure(err, 'the placement changes');
      }
    },
    async proberReadings(ip, limit) {
      const found = await rows<ReadingRow>(
        pool,
        `SELECT h.trace_id, t.agent_id, a.name AS agent_name, COALESCE(t.source_lat, a.lat) AS lat,
           COALESCE(t.source_lon, a.lon) AS lon, h.rtt_ms, t.started_at
         FROM hops h JOIN traces t ON t.id = h.trace_id AND t.started_at = h.started_at
           LEFT JOIN agents a ON a.id = t.agent_id
         WHERE h.ip = $1 AND h.rtt_ms IS NOT NULL AND t.verdict <> 'implausible'
           AND COALESCE(t.source_lat, a.lat) IS NOT NULL AND COALESCE(t.source_lon, a.lon) IS NOT NULL
           AND ${NOT_CONTRADICTED}
         ORDER BY h.rtt_ms LIMIT $2`,
        [ip, READING_ROWS],
      );
      return lowestPerPosition(found, limit);
    },
    async rejudgeCandidates(ip, since, limit) {
      const ids = await rows<{ id: number; started_at: number }>(
        pool,
        `SELECT DISTINCT t.id, t.started_at FROM hops h
           JOIN traces t ON t.id = h.trace_id AND t.started_at = h.started_at
         WHERE h.ip = $1 AND h.started_at >= $2 AND t.verdict <> 'implausible'
         ORDER BY t.started_at DESC, t.id DESC LIMIT $3`,
        [ip, since, limit],
      );
      const found = [];
      for (const { id, started_at } of ids) {
        const candidate = await row<CandidateRow>(
          pool,
          `SELECT ${CANDIDATE_SELECT} FROM ${CANDIDATE_FROM} WHERE t.id = $1 AND t.started_at = $2`,
          [id, started_at],
        );
        if (candidate === null) continue;
        const hops = await rows<StoredHopRow>(
          pool,
          `SELECT ${HOP_COLUMNS} FROM hops WHERE trace_id = $1 AND started_at = $2 ORDER BY ttl, seq`,
          [id, started_at],
        );
        found.push(candidateFromRow(candidate, hops));
      }
      return found;
    },
    async writeRejudged(traces) {
      const binding = state.slot.binding;
      let events: IncidentEvent[] = [];
      let links: RejudgedLink[];
      try {
        links = await inTransaction(pool, async (client) => {
          for (const r of traces) await rewriteTrace(client, r);
          if (binding === null)
            return traces.map((r) => ({ traceId: r.traceId, left: null, incident: null }));
          const observations = traces.map((r) => observationOf(r));
          const left = new Map<number, number>();
          const affected = new Set<number>();
          for (const o of observations) {
            const link = await row<{ incident_id: number; key: string }>(
              client,
              `SELECT it.incident_id, i.key FROM incident_traces it JOIN incidents i ON i.id = it.incident_id
               WHERE it.trace_id = $1 FOR UPDATE OF i`,
              [o.traceId],
            );
            if (!link || incidentKey(o)?.key === link.key) continue;
            await client.query('DELETE FROM incident_traces WHERE trace_id = $1', [o.traceId]);
            left.set(o.traceId, link.incident_id);
            affected.add(link.incident_id);
          }
          for (const id of affected) {
            const oldRow = await row<IncidentRow>(
              client,
              `SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = $1 FOR UPDATE`,
              [id],
            );
            if (oldRow === null) continue;
            const kept = (
              await rows<ObservationRow>(
                client,
                `SELECT ${OBSERVATION_SELECT} FROM traces t LEFT JOIN agents a ON a.id = t.agent_id
                   JOIN incident_traces it ON it.trace_id = t.id AND it.started_at = t.started_at
                 WHERE it.incident_id = $1`,
                [id],
              )
            ).map(observationFromRow);
            await client.query('DELETE FROM incident_traces WHERE incident_id = $1', [id]);
            if (kept.length === 0) await client.query('DELETE FROM incidents WHERE id = $1', [id]);
            else await foldInTransaction(client, rebuildFoldContext(binding, incidentFromRow(oldRow)), kept);
          }
          try {
            events = await foldInTransaction(client, rejudgeFoldContext(binding), observations);
          } catch (err) {
            throw new DetourwatchError(
              'STORE_FAILED',
              `cannot fold ${observations.length} re-judged trace(s) into incidents, so none was changed: ${describeError(err)}`,
              { cause: err },
            );
          }
          const now = await rows<{ trace_id: number; incident_id: number }>(
            client,
            'SELECT trace_id, incident_id FROM incident_traces WHERE trace_id = ANY($1::bigint[])',
            [traces.map((r) => r.traceId)],
          );
          const incidentOf = new Map(now.map((n) => [Number(n.trace_id), Number(n.incident_id)]));
          return traces.map((r) => ({
            traceId: r.traceId,
            left: left.get(r.traceId) ?? null,
            incident: incidentOf.get(r.traceId) ?? null,
          }));
        });
      } catch (err) {
        throw writeFailure(err, 'the re-judged verdicts');
      }
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
      return (
        await rows<ChangeRow>(
          pool,
          `SELECT ${CHANGE_COLUMNS} FROM placement_changes WHERE state = 'pending' ORDER BY id LIMIT $1`,
          [limit],
        )
      ).map(changeFromRow);
    },
    async finishPlacementChange(id, r) {
      await pool.query(
        `UPDATE placement_changes SET state = $1, applied_at = $2, window_from = $3, traces_rejudged = $4,
           verdicts_changed = $5, changes_json = $6, error = $7 WHERE id = $8`,
        [
          r.state,
          r.appliedAt,
          r.windowFrom,
          r.tracesRejudged,
          r.verdictsChanged,
          JSON.stringify(r.changes),
          r.error,
          id,
        ],
      );
    },
    async placementChanges({ ip, limit }) {
      const found = ip
        ? await rows<ChangeRow>(
            pool,
            `SELECT ${CHANGE_COLUMNS} FROM placement_changes WHERE ip = $1 ORDER BY id DESC LIMIT $2`,
            [ip, limit],
          )
        : await rows<ChangeRow>(
            pool,
            `SELECT ${CHANGE_COLUMNS} FROM placement_changes ORDER BY id DESC LIMIT $1`,
            [limit],
          );
      return found.map(changeFromRow);
    },
  };
}
