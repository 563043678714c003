import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { DetourwatchError } from '../../../protocol/errors.ts';
import type { IncidentEvent, TraceObservation } from '../../incidents/types.ts';
import { incidentEvents } from '../event-rows.ts';
import { eventsWithRowIds, rowId } from '../fold-writes.ts';
import type {
  FoldContext,
  FoldNeeds,
  FoldOutcome,
  FoldState,
  IncidentBinding,
  IncidentStore,
} from '../incident-store.ts';
import {
  BASELINE_COLUMNS,
  type BaselineRow,
  baselineFromRow,
  baselineParams,
  INCIDENT_COLUMNS,
  type IncidentRow,
  incidentFromRow,
  incidentParams,
  lowestSamples,
  OBSERVATION_SELECT,
  type ObservationRow,
  observationFromRow,
  routeChangeValues,
  VANTAGE_COLUMNS,
  type VantageRow,
  vantageFacts,
} from '../rows.ts';
import type { InsertEvents } from './events.ts';

const WATERMARK = 'incidents.last_trace_id';

/** The fold bound for trace writes, shared by the ledger and the trace writer. */
export interface FoldSlot {
  binding: IncidentBinding | null;
}

/**
 * Load -> fold -> apply (incident-store.ts), synchronously: call it only inside a write transaction, which
 * an error from any step rolls back. Returns the events with the incidents' row ids.
 */
export type FoldInTransaction = (
  context: FoldContext,
  observations: readonly TraceObservation[],
) => IncidentEvent[];

export function sqliteIncidents(
  db: Database.Database,
  slot: FoldSlot,
  /** The event stream (issue 12): a catch-up's or sweep's incident events, in its transaction. */
  insertEvents: InsertEvents = () => [],
): { incidents: IncidentStore; foldInTransaction: FoldInTransaction } {
  const s = {
    byKey: db.prepare(
      `SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE key = ? AND last_seen >= ? AND first_seen <= ?`,
    ),
    byPair: db.prepare(
      `SELECT ${INCIDENT_COLUMNS} FROM incidents
       WHERE subject = ? AND destination_prefix = ? AND last_seen >= ? AND last_seen < ?`,
    ),
    baseline: db.prepare(`SELECT ${BASELINE_COLUMNS} FROM baselines WHERE subject = ? AND target = ?`),
    linked: db.prepare('SELECT 1 FROM incident_traces WHERE trace_id = ?').pluck(),
    insert: db.prepare(
      `INSERT INTO incidents (key, subject, agent_id, destination_prefix, countries, asns, first_seen, last_seen,
         trace_count, confirmed_count, state, closed_at, last_clear_at, first_trace_id, last_trace_id,
         witnesses_json, witness_count, corroborated_at)
       VALUES (@key, @subject, @agentId, @destinationPrefix, @countries, @asns, @firstSeen, @lastSeen,
         @traceCount, @confirmedCount, @state, @closedAt, @lastClearAt, @firstTraceId, @lastTraceId,
         @witnesses, @witnessCount, @corroboratedAt)`,
    ),
    update: db.prepare(
      `UPDATE incidents SET first_seen = @firstSeen, last_seen = @lastSeen, trace_count = @traceCount,
         confirmed_count = @confirmedCount, state = @state, closed_at = @closedAt, last_clear_at = @lastClearAt,
         first_trace_id = @firstTraceId, last_trace_id = @lastTraceId, witnesses_json = @witnesses,
         witness_count = @witnessCount, corroborated_at = @corroboratedAt
       WHERE id = @id`,
    ),
    link: db.prepare('INSERT INTO incident_traces (incident_id, trace_id) VALUES (?, ?)'),
    saveBaseline: db.prepare(
      `INSERT INTO baselines (subject, target, agent_id, normal_json, latest_json, changed, tally_json)
       VALUES (@subject, @target, @agentId, @normal, @latest, @changed, @tally)
       ON CONFLICT (subject, target) DO UPDATE SET agent_id = excluded.agent_id, normal_json = excluded.normal_json,
         latest_json = excluded.latest_json, changed = excluded.changed, tally_json = excluded.tally_json`,
    ),
    routeChange: db.prepare(
      `INSERT INTO route_changes (kind, subject, agent_id, target, at, trace_id, before_json, after_json, left_home)
       VALUES (@kind, @subject, @agentId, @target, @at, @traceId, @before, @after, @leftHome)`,
    ),
    vantage: db.prepare(`SELECT ${VANTAGE_COLUMNS} FROM agent_vantage WHERE agent_id = ?`),
    agentAt: db.prepare('SELECT id FROM agents WHERE address = ?').pluck(),
    // The lowest RTT wins; any new reading marks the agent for re-evaluation.
    sample: db.prepare(
      `INSERT INTO vantage_samples (agent_id, kind, subject, rtt_ms, lat, lon, asn, city, updated_at)
       VALUES (@agentId, @kind, @subject, @rttMs, @lat, @lon, @asn, @city, @at)
       ON CONFLICT (agent_id, kind, subject) DO UPDATE SET
         lat = CASE WHEN excluded.rtt_ms < rtt_ms THEN excluded.lat ELSE lat END,
         lon = CASE WHEN excluded.rtt_ms < rtt_ms THEN excluded.lon ELSE lon END,
         asn = CASE WHEN excluded.rtt_ms < rtt_ms THEN excluded.asn ELSE asn END,
         city = CASE WHEN excluded.rtt_ms < rtt_ms THEN excluded.city ELSE city END,
         rtt_ms = MIN(rtt_ms, excluded.rtt_ms),
         updated_at = MAX(updated_at, excluded.updated_at)`,
    ),
    quiet: db.prepare(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE state = 'open' AND last_seen <= ?`),
    watermark: db.prepare('SELECT value FROM history_state WHERE name = ?').pluck(),
    setWatermark: db.prepare(
      `INSERT INTO history_state (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`,
    ),
    storedAfter: db.prepare(
      `SELECT ${OBSERVATION_SELECT} FROM traces t LEFT JOIN agents a ON a.id = t.agent_id
       WHERE t.id > ? ORDER BY t.id LIMIT ?`,
    ),
  };

  const watermark = (): number => (s.watermark.get(WATERMARK) as number | undefined) ?? 0;

  function load(needs: FoldNeeds): FoldState {
    const incidents = new Map<number, IncidentRow>();
    for (const k of needs.keys) {
      for (const row of s.byKey.all(k.key, k.from, k.to) as IncidentRow[]) incidents.set(row.id, row);
    }
    for (const p of needs.pairs) {
      for (const row of s.byPair.all(p.subject, p.prefix, p.from, p.to) as IncidentRow[])
        incidents.set(row.id, row);
    }
    const baselines = needs.baselines.flatMap((b) => {
      const row = s.baseline.get(b.subject, b.target) as BaselineRow | undefined;
      return row ? [baselineFromRow(row)] : [];
    });
    const vantages = needs.agents.flatMap((id) => {
      const row = s.vantage.get(id) as VantageRow | undefined;
      return row ? [vantageFacts(row)] : [];
    });
    const peers = needs.addresses.flatMap((address) =>
      (s.agentAt.all(address) as string[]).map((agentId) => ({ agentId, address })),
    );
    return {
      incidents: [...incidents.values()].map(incidentFromRow),
      baselines,
      linked: needs.traceIds.filter((id) => s.linked.get(id) !== undefined),
      vantages,
      peers,
    };
  }

  function apply(outcome: FoldOutcome): IncidentEvent[] {
    const { writes } = outcome;
    const rowIdOf = new Map<number, number>();
    for (const incident of writes.created) {
      rowIdOf.set(incident.id, Number(s.insert.run(incidentParams(incident)).lastInsertRowid));
    }
    for (const incident of writes.updated) s.update.run(incidentParams(incident));
    for (const l of writes.links) s.link.run(rowId(l.incidentId, rowIdOf), l.traceId);
    for (const b of writes.baselines) s.saveBaseline.run(baselineParams(b));
    for (const c of writes.routeChanges ?? []) {
      const v = routeChangeValues(c);
      s.routeChange.run({ ...v, leftHome: v.leftHome ? 1 : 0 });
    }
    for (const sample of lowestSamples(writes.samples ?? [])) s.sample.run(sample);
    if (writes.watermark > 0) s.setWatermark.run(WATERMARK, writes.watermark);
    return eventsWithRowIds(outcome, rowIdOf);
  }

  function foldInTransaction(
    context: FoldContext,
    observations: readonly TraceObservation[],
  ): IncidentEvent[] {
    if (observations.length === 0) return [];
    const state = load(context.fold.needs(observations, context.quietMs));
    return apply(context.fold.fold(state, observations, context.quietMs, context.now()));
  }

  // IMMEDIATE: these read before they write; taking the write lock first means no other process can commit
  // in between (which would make the later write fail with SQLITE_BUSY_SNAPSHOT instead of waiting).
  const catchUpChunk = (context: FoldContext, batch: number): IncidentEvent[] | null =>
    db
      .transaction(() => {
        const from = watermark();
        const page = (s.storedAfter.all(from, batch) as ObservationRow[]).map(observationFromRow);
        if (page.length === 0) return null;
        const events = foldInTransaction(context, page);
        if (watermark() <= from) {
          throw new DetourwatchError('STORE_FAILED', 'the incident fold did not move the watermark on');
        }
        insertEvents(incidentEvents(events));
        return events;
      })
      .immediate();

  const sweep = (context: FoldContext): IncidentEvent[] =>
    db
      .transaction(() => {
        const at = context.now();
        const open = (s.quiet.all(at - context.quietMs) as IncidentRow[]).map(incidentFromRow);
        const events = apply(context.fold.sweep(open, context.quietMs, at));
        insertEvents(incidentEvents(events));
        return events;
      })
      .immediate();

  const incidents: IncidentStore = {
    setIncidentFold(binding) {
      slot.binding = binding;
    },
    async catchUpIncidents(context, batch = 500) {
      const events: IncidentEvent[] = [];
      for (;;) {
        const chunk = catchUpChunk(context, batch);
        if (chunk === null) return events;
        events.push(...chunk);
        // Let results, requests and heartbeats through between chunks of a long backfill.
        await yieldToEventLoop();
      }
    },
    async sweepIncidents(context) {
      return sweep(context);
    },
    async incidentWatermark() {
      return watermark();
    },
  };
  return { incidents, foldInTransaction };
}
