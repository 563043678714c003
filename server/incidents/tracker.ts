import type Database from 'better-sqlite3';
import { judgesPath, updateBaseline } from './baseline.ts';
import { clearedAt, isOver, joins, newIncident, withTrace } from './grouping.ts';
import { incidentKey, vantageSubject } from './incident-key.ts';
import { INCIDENT_COLUMNS, type IncidentRow, incidentFromRow, incidentParams } from './incident-rows.ts';
import { destinationPrefix } from './prefix.ts';
import type { Baseline, Incident, IncidentEvent, TraceObservation } from './types.ts';

export interface IncidentTrackerOptions {
  db: Database.Database;
  /** How long an incident stays open without a new detour of its key. */
  quietMs: number;
  now?: () => number;
}

export interface IncidentTracker {
  /**
   * Folds newly stored traces into incidents and baselines, incrementally (no rescans), in one transaction
   * (a savepoint when the caller already holds one, as the importer does). A trace already in an incident is
   * skipped, so replaying a range is harmless. Returns the incidents that opened (or reopened).
   */
  observe(observations: readonly TraceObservation[]): IncidentEvent[];
  /** Closes the open incidents whose quiet period has run out. */
  sweep(): IncidentEvent[];
  /** The highest trace id observed so far: where a restarted coordinator resumes (see `catchUp`). */
  watermark(): number;
  /**
   * Observes what was stored after the watermark but never observed (the coordinator stopped between the
   * commit of a batch and its observation), and backfills a database written before incidents existed.
   * `load` returns up to `limit` observations of traces with id > afterId, in id order.
   */
  catchUp(load: (afterId: number, limit: number) => TraceObservation[], batch?: number): IncidentEvent[];
}

const WATERMARK = 'incidents.last_trace_id';

/** How long an incident stays open after its last detour unless configured: eight missed 15-minute rounds. */
export const DEFAULT_QUIET_MS = 2 * 3_600_000;

function prepare(db: Database.Database) {
  return {
    inIncident: db.prepare('SELECT 1 FROM incident_traces WHERE trace_id = ?').pluck(),
    candidate: db.prepare(
      `SELECT ${INCIDENT_COLUMNS} FROM incidents
       WHERE key = @key AND last_seen >= @at - @quiet AND first_seen <= @at + @quiet
       ORDER BY last_seen DESC LIMIT 1`,
    ),
    insert: db.prepare(
      `INSERT INTO incidents (key, subject, agent_id, destination_prefix, countries, asns, first_seen, last_seen,
         trace_count, confirmed_count, state, closed_at, last_clear_at, first_trace_id, last_trace_id)
       VALUES (@key, @subject, @agentId, @destinationPrefix, @countries, @asns, @firstSeen, @lastSeen,
         @traceCount, @confirmedCount, @state, @closedAt, @lastClearAt, @firstTraceId, @lastTraceId)`,
    ),
    update: db.prepare(
      `UPDATE incidents SET first_seen = @firstSeen, last_seen = @lastSeen, trace_count = @traceCount,
         confirmed_count = @confirmedCount, state = @state, closed_at = @closedAt, last_clear_at = @lastClearAt,
         first_trace_id = @firstTraceId, last_trace_id = @lastTraceId
       WHERE id = @id`,
    ),
    link: db.prepare('INSERT INTO incident_traces (incident_id, trace_id) VALUES (?, ?)'),
    // Incidents of the pair whose last detour is at most a quiet period before the reading.
    recentForPair: db.prepare(
      `SELECT ${INCIDENT_COLUMNS} FROM incidents
       WHERE subject = @subject AND destination_prefix = @prefix AND last_seen < @at AND last_seen >= @at - @quiet`,
    ),
    setClear: db.prepare('UPDATE incidents SET last_clear_at = ? WHERE id = ?'),
    quiet: db.prepare(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE state = 'open' AND last_seen <= ?`),
    close: db.prepare(`UPDATE incidents SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'`),
    baseline: db.prepare('SELECT normal_json, latest_json FROM baselines WHERE subject = ? AND target = ?'),
    saveBaseline: db.prepare(
      `INSERT INTO baselines (subject, target, agent_id, normal_json, latest_json, changed)
       VALUES (@subject, @target, @agentId, @normal, @latest, @changed)
       ON CONFLICT (subject, target) DO UPDATE SET agent_id = excluded.agent_id, normal_json = excluded.normal_json,
         latest_json = excluded.latest_json, changed = excluded.changed`,
    ),
    watermark: db.prepare('SELECT value FROM history_state WHERE name = ?').pluck(),
    setWatermark: db.prepare(
      `INSERT INTO history_state (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`,
    ),
  };
}

export function createIncidentTracker(options: IncidentTrackerOptions): IncidentTracker {
  const { db, quietMs } = options;
  const now = options.now ?? Date.now;
  const s = prepare(db);

  function loadBaseline(subject: string, target: string): Baseline | null {
    const row = s.baseline.get(subject, target) as
      | { normal_json: string | null; latest_json: string }
      | undefined;
    if (!row) return null;
    const normal = row.normal_json === null ? null : (JSON.parse(row.normal_json) as Baseline['normal']);
    const latest = JSON.parse(row.latest_json) as Baseline['latest'];
    return { subject, target, agentId: null, normal, latest, changed: false };
  }

  function observeBaseline(o: TraceObservation): void {
    if (!judgesPath(o) || o.destinationIp === null) return;
    const subject = vantageSubject(o);
    const b = updateBaseline(loadBaseline(subject, o.destinationIp), o, subject, o.destinationIp);
    s.saveBaseline.run({
      subject,
      target: b.target,
      agentId: b.agentId,
      normal: b.normal === null ? null : JSON.stringify(b.normal),
      latest: JSON.stringify(b.latest),
      changed: b.changed ? 1 : 0,
    });
  }

  function observeDetour(o: TraceObservation, at: number, events: IncidentEvent[]): void {
    const key = incidentKey(o);
    if (key === null || s.inIncident.get(o.traceId) !== undefined) return;
    const row = s.candidate.get({ key: key.key, at: o.startedAt, quiet: quietMs }) as IncidentRow | undefined;
    const found = row ? incidentFromRow(row) : null;
    if (found && joins(found, o.startedAt, quietMs)) {
      const next = withTrace(found, o, quietMs, at);
      s.update.run({ ...incidentParams(next), id: found.id });
      s.link.run(found.id, o.traceId);
      if (found.state === 'closed' && next.state === 'open')
        events.push({ kind: 'incident.opened', incident: next, at });
      return;
    }
    const fresh = newIncident(key, o, quietMs, at);
    const id = Number(s.insert.run(incidentParams(fresh)).lastInsertRowid);
    s.link.run(id, o.traceId);
    if (fresh.state === 'open') events.push({ kind: 'incident.opened', incident: { ...fresh, id }, at });
  }

  function observeClear(o: TraceObservation): void {
    const prefix = destinationPrefix(o.destinationIp);
    if (o.verdict !== 'domestic' || prefix === null) return;
    const pair = { subject: vantageSubject(o), prefix, at: o.startedAt, quiet: quietMs };
    for (const row of s.recentForPair.all(pair) as IncidentRow[]) {
      const clear = clearedAt(incidentFromRow(row), o);
      if (clear !== null) s.setClear.run(clear, row.id);
    }
  }

  const observe = db.transaction((observations: readonly TraceObservation[]): IncidentEvent[] => {
    const at = now();
    const events: IncidentEvent[] = [];
    let highest = 0;
    for (const o of observations) {
      observeBaseline(o);
      observeDetour(o, at, events);
      observeClear(o);
      highest = Math.max(highest, o.traceId);
    }
    if (highest > 0) s.setWatermark.run(WATERMARK, highest);
    return events;
  });

  const sweep = db.transaction((): IncidentEvent[] => {
    const at = now();
    const events: IncidentEvent[] = [];
    for (const row of s.quiet.all(at - quietMs) as IncidentRow[]) {
      const incident = incidentFromRow(row);
      if (!isOver(incident.lastSeen, quietMs, at)) continue;
      const closedAt = incident.lastSeen + quietMs;
      s.close.run(closedAt, incident.id);
      const closed: Incident = { ...incident, state: 'closed', closedAt };
      events.push({ kind: 'incident.closed', incident: closed, at });
    }
    return events;
  });

  const watermark = (): number => (s.watermark.get(WATERMARK) as number | undefined) ?? 0;

  return {
    observe,
    sweep,
    watermark,
    catchUp(load, batch = 500) {
      const events: IncidentEvent[] = [];
      for (;;) {
        const page = load(watermark(), batch);
        if (page.length === 0) return events;
        events.push(...observe(page));
      }
    },
  };
}
