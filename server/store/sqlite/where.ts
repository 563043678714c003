import { whereBuilders } from '../where.ts';

/** The history and map filters on SQLite (../where.ts): positional parameters. */
export const { traceWhere, detourWhere, incidentWhere, mapWhere } = whereBuilders({
  placeholder: () => '?',
  target: '(t.destination_ip = ? OR t.destination_name = ? COLLATE NOCASE)',
  foreignHop: (column) => `t.id IN (SELECT trace_id FROM foreign_hops WHERE ${column} = ?)`,
  incidentListHas: (column) => `EXISTS (SELECT 1 FROM json_each(i.${column}) WHERE value = ?)`,
  incidentTrace: 't.id IN (SELECT trace_id FROM incident_traces WHERE incident_id = ?)',
});
