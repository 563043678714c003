import { destinationPrefix } from '../../protocol/address/prefix.ts';
import type { DetourFilter, IncidentFilter, TimeRange, TraceFilter } from '../history/filters.ts';
import type { MapFilter } from './map-store.ts';
import { NOT_CONTRADICTED } from './rows.ts';

/**
 * The history and map filters as WHERE clauses, one set of conditions for both engines: every value is a
 * parameter, never spliced into the text. `next` is the number the caller's own parameters continue from
 * (the LIMIT, typically; PostgreSQL numbers them, SQLite's `?` ignores it).
 */
export interface Where {
  sql: string;
  params: (string | number)[];
  next: number;
}

/** What the engines write differently; each condition names its parameters `?`, in order. */
export interface WhereDialect {
  /** The text of the n-th parameter (from 1): `?` on SQLite, `$n` on PostgreSQL. */
  placeholder(n: number): string;
  /** A trace (alias `t`) to the target given twice: by destination address, or by name ignoring case. */
  target: string;
  /** A trace (alias `t`) with a foreign hop whose country or ASN is the one parameter. */
  foreignHop(column: 'country' | 'asn'): string;
  /** An incident (alias `i`) whose JSON list `countries` or `asns` holds the one parameter. */
  incidentListHas(column: 'countries' | 'asns'): string;
  /** A trace (alias `t`) in the evidence of the incident given. */
  incidentTrace: string;
}

export interface WhereBuilders {
  /** Traces (alias `t`); `after` continues a page ordered by id descending. */
  traceWhere(f: TraceFilter, after: number | null): Where;
  /**
   * Detour traces (alias `t`): `after` continues a page in `order` of id; `upTo` (ascending reads) stops at
   * the id an export began at.
   */
  detourWhere(f: DetourFilter, after: number | null, order?: 'asc' | 'desc', upTo?: number | null): Where;
  /** Incidents (alias `i`) overlapping the time range. A target matches the incident of its /24 or /48. */
  incidentWhere(f: IncidentFilter, after: number | null): Where;
  /** The detour conditions plus the map's own: an agent by id or name, and an incident's evidence. */
  mapWhere(f: MapFilter): Where;
}

export function whereBuilders(dialect: WhereDialect): WhereBuilders {
  class Clauses {
    readonly parts: string[] = [];
    readonly params: (string | number)[] = [];

    add(sql: string, ...params: (string | number)[]): void {
      let n = this.params.length;
      this.parts.push(sql.replace(/\?/g, () => dialect.placeholder(++n)));
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

  function target(c: Clauses, value: string | null): void {
    if (value !== null) c.add(dialect.target, value, value);
  }

  function detourClauses(
    f: DetourFilter,
    after: number | null,
    order: 'asc' | 'desc',
    upTo: number | null,
  ): Clauses {
    const c = new Clauses();
    c.add(`t.verdict = 'detour'`);
    timeRange(c, f);
    if (f.country !== null) c.add(dialect.foreignHop('country'), f.country);
    if (f.asn !== null) c.add(dialect.foreignHop('asn'), f.asn);
    if (f.agent !== null) c.add('t.agent_id = ?', f.agent);
    if (f.confidence !== null) c.add('t.confidence = ?', f.confidence);
    target(c, f.target);
    if (after !== null) c.add(order === 'desc' ? 't.id < ?' : 't.id > ?', after);
    if (upTo !== null) c.add('t.id <= ?', upTo);
    return c;
  }

  return {
    traceWhere(f, after) {
      const c = new Clauses();
      timeRange(c, f);
      if (f.verdict !== null) c.add('t.verdict = ?', f.verdict);
      if (f.agent !== null) c.add('t.agent_id = ?', f.agent);
      if (f.origin !== null) c.add('t.origin = ?', f.origin);
      target(c, f.target);
      if (after !== null) c.add('t.id < ?', after);
      return c.where();
    },

    detourWhere(f, after, order = 'desc', upTo = null) {
      return detourClauses(f, after, order, upTo).where();
    },

    incidentWhere(f, after) {
      const c = new Clauses();
      if (f.since !== null) c.add('i.last_seen >= ?', f.since);
      if (f.until !== null) c.add('i.first_seen < ?', f.until);
      if (f.state !== null) c.add('i.state = ?', f.state);
      if (f.agent !== null) c.add('i.agent_id = ?', f.agent);
      if (f.country !== null) c.add(dialect.incidentListHas('countries'), f.country);
      if (f.asn !== null) c.add(dialect.incidentListHas('asns'), f.asn);
      if (f.target !== null) c.add('i.destination_prefix = ?', destinationPrefix(f.target) ?? '');
      if (after !== null) c.add('i.id < ?', after);
      return c.where();
    },

    mapWhere(f) {
      const c = detourClauses({ ...f, agent: null }, null, 'desc', null);
      if (f.agent !== null)
        c.add('(t.agent_id = ? OR t.agent_id IN (SELECT id FROM agents WHERE name = ?))', f.agent, f.agent);
      // Naming the agent is asking for its detours, a contradicted vantage's too (shown as such).
      else c.add(NOT_CONTRADICTED);
      if (f.incident != null) c.add(dialect.incidentTrace, f.incident);
      return c.where();
    },
  };
}
