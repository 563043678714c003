import { destinationPrefix } from '../../../protocol/address/prefix.ts';
import type { DetourFilter, IncidentFilter, TimeRange, TraceFilter } from '../../history/filters.ts';

/**
 * The history filters as PostgreSQL WHERE clauses, the same conditions as sqlite/where.ts: every value is a
 * numbered parameter ($1, $2, ...), never spliced into the text. `next` is the number the caller's own
 * parameters continue from (the LIMIT, typically).
 */
export interface Where {
  sql: string;
  params: (string | number)[];
  next: number;
}

class Clauses {
  readonly parts: string[] = [];
  readonly params: (string | number)[] = [];

  /** `sql` names its parameters `?`, in order; they become $n here. */
  add(sql: string, ...params: (string | number)[]): void {
    let n = this.params.length;
    this.parts.push(sql.replace(/\?/g, () => `$${++n}`));
    this.params.push(...params);
  }

  where(): Where {
    return {
      sql: this.parts.length === 0 ? '' : `WHERE ${this.parts.join(' AND ')}`,
      params: this.params,
      next: this.params.length + 1,
    };
  }
}

function timeRange(c: Clauses, f: TimeRange): void {
  if (f.since !== null) c.add('t.started_at >= ?', f.since);
  if (f.until !== null) c.add('t.started_at < ?', f.until);
}

/** SQLite's NOCASE folds ASCII only; lower() folds more, and no target name differs by more than ASCII case. */
function target(c: Clauses, value: string | null): void {
  if (value !== null) c.add('(t.destination_ip = ? OR lower(t.destination_name) = lower(?))', value, value);
}

/** Traces (alias `t`); `after` continues a page ordered by id descending. */
export function traceWhere(f: TraceFilter, after: number | null): Where {
  const c = new Clauses();
  timeRange(c, f);
  if (f.verdict !== null) c.add('t.verdict = ?', f.verdict);
  if (f.agent !== null) c.add('t.agent_id = ?', f.agent);
  if (f.origin !== null) c.add('t.origin = ?', f.origin);
  target(c, f.target);
  if (after !== null) c.add('t.id < ?', after);
  return c.where();
}

/**
 * Detour traces (alias `t`); foreign country and ASN go through the small indexed `foreign_hops` table,
 * matched on (id, started_at) so each match reads one partition of `traces`. `after` continues a page in
 * `order` of id; `upTo` (ascending reads) stops at the id an export began at.
 */
export function detourWhere(
  f: DetourFilter,
  after: number | null,
  order: 'asc' | 'desc' = 'desc',
  upTo: number | null = null,
): Where {
  const c = new Clauses();
  c.add(`t.verdict = 'detour'`);
  timeRange(c, f);
  if (f.country !== null)
    c.add(
      '(t.id, t.started_at) IN (SELECT trace_id, started_at FROM foreign_hops WHERE country = ?)',
      f.country,
    );
  if (f.asn !== null)
    c.add('(t.id, t.started_at) IN (SELECT trace_id, started_at FROM foreign_hops WHERE asn = ?)', f.asn);
  if (f.agent !== null) c.add('t.agent_id = ?', f.agent);
  if (f.confidence !== null) c.add('t.confidence = ?', f.confidence);
  target(c, f.target);
  if (after !== null) c.add(order === 'desc' ? 't.id < ?' : 't.id > ?', after);
  if (upTo !== null) c.add('t.id <= ?', upTo);
  return c.where();
}

/** Incidents (alias `i`) overlapping the time range. A target matches the incident of its /24 or /48. */
export function incidentWhere(f: IncidentFilter, after: number | null): Where {
  const c = new Clauses();
  if (f.since !== null) c.add('i.last_seen >= ?', f.since);
  if (f.until !== null) c.add('i.first_seen < ?', f.until);
  if (f.state !== null) c.add('i.state = ?', f.state);
  if (f.agent !== null) c.add('i.agent_id = ?', f.agent);
  // The lists are JSON text (as SQLite keeps them); containment of the one element asked for.
  if (f.country !== null) c.add('i.countries::jsonb @> jsonb_build_array(?::text)', f.country);
  if (f.asn !== null) c.add('i.asns::jsonb @> jsonb_build_array(?::bigint)', f.asn);
  if (f.target !== null) c.add('i.destination_prefix = ?', destinationPrefix(f.target) ?? '');
  if (after !== null) c.add('i.id < ?', after);
  return c.where();
}
