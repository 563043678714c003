import { whereBuilders } from '../where.ts';

/** The history and map filters on PostgreSQL (../where.ts): numbered parameters, partitions matched by time. */
export const { traceWhere, detourWhere, incidentWhere, mapWhere } = whereBuilders({
  placeholder: (n) => `$${n}`,
  // SQLite's NOCASE folds ASCII only; lower() folds more, and no target name differs by more than ASCII case.
  target: '(t.destination_ip = ? OR lower(t.destination_name) = lower(?))',
  // Matched on (id, started_at) so each match reads one partition of `traces`.
  foreignHop: (column) =>
    `(t.id, t.started_at) IN (SELECT trace_id, started_at FROM foreign_hops WHERE ${column} = ?)`,
  // The lists are JSON text (as SQLite keeps them); containment of the one element asked for.
  incidentListHas: (column) =>
    `i.${column}::jsonb @> jsonb_build_array(?::${column === 'asns' ? 'bigint' : 'text'})`,
  incidentTrace:
    '(t.id, t.started_at) IN (SELECT trace_id, started_at FROM incident_traces WHERE incident_id = ?)',
});
