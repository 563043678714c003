import { destinationPrefix } from '../../../protocol/address/prefix.ts';
import type { DetourFilter, IncidentFilter, TimeRange, TraceFilter } from '../../history/filters.ts';

/**
 * The history filters as SQLite WHERE clauses with positional parameters. Every value is bound, never
 * spliced into the text.
 */
export interface Where {
  sql: string;
  params: (string | number)[];
}

class Clauses {
  readonly parts: string[] = [];
  readonly params: (string | number)[] = [];

  add(sql: string, ...params: (string | number)[]): void {
    this.parts.push(sql);
    this.params.push(...params);
  }

  where(): Where {
    return { sql: this.parts.length === 0 ? '' : `WHERE ${this.parts.join(' AND ')}`, params: this.params };
  }
}

function timeRange(c: Clauses, f: TimeRange): void {
  if (f.since !== null) c.add('t.started_at >= ?', f.since);
  if (f.until !== null) c.add('t.started_at < ?', f.until);
}

function target(c: Clauses, value: string | null): void {
  if (value !== null) c.add('(t.destination_ip = ? OR t.destination_name = ? COLLATE NOCASE)', value, value);
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
 * Detour traces (alias `t`); foreign country and ASN go through the small indexed `foreign_hops` table.
 * `after` continues a page in `order` of id; `upTo` (ascending reads) stops at the id an export began at.
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
  if (f.country !== null) c.add('t.id IN (SELECT trace_id FROM foreign_hops WHERE country = ?)', f.country);
  if (f.asn !== null) c.add('t.id IN (SELECT trace_id FROM foreign_hops WHERE asn = ?)', f.asn);
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
  if (f.country !== null) c.add('EXISTS (SELECT 1 FROM json_each(i.countries) WHERE value = ?)', f.country);
  if (f.asn !== null) c.add('EXISTS (SELECT 1 FROM json_each(i.asns) WHERE value = ?)', f.asn);
  if (f.target !== null) c.add('i.destination_prefix = ?', destinationPrefix(f.target) ?? '');
  if (after !== null) c.add('i.id < ?', after);
  return c.where();
}
