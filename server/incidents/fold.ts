/**
 * The incident fold: pure, so the store can run it inside the transaction that writes the traces
 * (server/store/incident-store.ts). Given the ledger's state for a batch, it decides what the batch does,
 * observation by observation in the order given: the baseline of the trace's pair, the incident a detour
 * joins or opens (a trace already in an incident is skipped, so replaying a range is harmless), and a
 * domestic reading that may clear recent incidents of its pair. The decisions themselves are grouping.ts
 * and baseline.ts.
 */

import { destinationPrefix } from '../../protocol/address/prefix.ts';
import type { FoldNeeds, FoldOutcome, FoldState, FoldWrites, IncidentFold } from '../store/incident-store.ts';
import { judgesPath, updateBaseline } from './baseline.ts';
import { clearedAt, isOver, joins, newIncident, withTrace } from './grouping.ts';
import { incidentKey, vantageSubject } from './incident-key.ts';
import type { Baseline, Incident, IncidentEvent, TraceObservation } from './types.ts';

const pairKey = (subject: string, other: string) => `${subject}\n${other}`;

/** The (subject, target) of the baseline an observation updates, when it judges a path. */
function baselinePair(o: TraceObservation): { subject: string; target: string } | null {
  if (!judgesPath(o) || o.destinationIp === null) return null;
  return { subject: vantageSubject(o), target: o.destinationIp };
}

/** The (subject, prefix) a domestic observation may clear. */
function clearPair(o: TraceObservation): { subject: string; prefix: string } | null {
  const prefix = destinationPrefix(o.destinationIp);
  if (o.verdict !== 'domestic' || prefix === null) return null;
  return { subject: vantageSubject(o), prefix };
}

/**
 * What a batch can touch. A detour at `t` joins an incident of its key whose span widened by the quiet
 * period contains `t`; a domestic reading at `t` clears incidents of its pair last seen in [t - quiet, t).
 * Loading those windows around the batch's earliest and latest times is a superset, and closed under the
 * batch's own changes: an incident outside them can only change by joining a detour of the batch, which
 * would have put it inside.
 */
export function foldNeeds(observations: readonly TraceObservation[], quietMs: number): FoldNeeds {
  const keys = new Map<string, { key: string; from: number; to: number }>();
  const pairs = new Map<string, { subject: string; prefix: string; from: number; to: number }>();
  const baselines = new Map<string, { subject: string; target: string }>();
  const traceIds: number[] = [];
  for (const o of observations) {
    const b = baselinePair(o);
    if (b) baselines.set(pairKey(b.subject, b.target), b);
    const key = incidentKey(o);
    if (key) {
      traceIds.push(o.traceId);
      const k = keys.get(key.key);
      const from = o.startedAt - quietMs;
      const to = o.startedAt + quietMs;
      keys.set(
        key.key,
        k
          ? { key: key.key, from: Math.min(k.from, from), to: Math.max(k.to, to) }
          : { key: key.key, from, to },
      );
    }
    const c = clearPair(o);
    if (c) {
      const id = pairKey(c.subject, c.prefix);
      const p = pairs.get(id);
      const from = o.startedAt - quietMs;
      const to = o.startedAt;
      pairs.set(id, p ? { ...p, from: Math.min(p.from, from), to: Math.max(p.to, to) } : { ...c, from, to });
    }
  }
  return {
    keys: [...keys.values()],
    pairs: [...pairs.values()],
    baselines: [...baselines.values()],
    traceIds,
  };
}

/** Whether `a` is the better candidate than `b` to join: the one seen last; a newer incident on a tie. */
function later(a: Incident, b: Incident): boolean {
  if (a.lastSeen !== b.lastSeen) return a.lastSeen > b.lastSeen;
  // Placeholders (new in this batch) are negative and newer than any row; among them, lower is newer.
  if (a.id < 0 || b.id < 0) return a.id < b.id;
  return a.id > b.id;
}

export function foldObservations(
  state: FoldState,
  observations: readonly TraceObservation[],
  quietMs: number,
  now: number,
): FoldOutcome {
  const incidents = new Map<number, Incident>(state.incidents.map((i) => [i.id, i]));
  const baselines = new Map<string, Baseline>(state.baselines.map((b) => [pairKey(b.subject, b.target), b]));
  const linked = new Set(state.linked);
  const touched = new Set<number>();
  const changedBaselines = new Set<string>();
  const links: FoldWrites['links'] = [];
  const events: IncidentEvent[] = [];
  let placeholder = 0;
  let highest = 0;

  const set = (incident: Incident) => {
    incidents.set(incident.id, incident);
    touched.add(incident.id);
  };

  for (const o of observations) {
    highest = Math.max(highest, o.traceId);

    const pair = baselinePair(o);
    if (pair) {
      const id = pairKey(pair.subject, pair.target);
      baselines.set(id, updateBaseline(baselines.get(id) ?? null, o, pair.subject, pair.target));
      changedBaselines.add(id);
    }

    const key = incidentKey(o);
    if (key && !linked.has(o.traceId)) {
      linked.add(o.traceId);
      let found: Incident | null = null;
      for (const i of incidents.values()) {
        if (i.key === key.key && joins(i, o.startedAt, quietMs) && (found === null || later(i, found)))
          found = i;
      }
      if (found) {
        const next = withTrace(found, o, quietMs, now);
        set(next);
        links.push({ incidentId: found.id, traceId: o.traceId });
        if (found.state === 'closed' && next.state === 'open')
          events.push({ kind: 'incident.opened', incident: next, at: now });
      } else {
        const fresh: Incident = { ...newIncident(key, o, quietMs, now), id: --placeholder };
        set(fresh);
        links.push({ incidentId: fresh.id, traceId: o.traceId });
        if (fresh.state === 'open') events.push({ kind: 'incident.opened', incident: fresh, at: now });
      }
    }

    const clear = clearPair(o);
    if (clear) {
      for (const i of incidents.values()) {
        if (i.subject !== clear.subject || i.destinationPrefix !== clear.prefix) continue;
        if (i.lastSeen >= o.startedAt || i.lastSeen < o.startedAt - quietMs) continue;
        const at = clearedAt(i, o);
        if (at !== null) set({ ...i, lastClearAt: at });
      }
    }
  }

  const changed = [...touched].map((id) => incidents.get(id)).filter((i): i is Incident => i !== undefined);
  return {
    writes: {
      // Placeholders count down, so creation order is by descending placeholder.
      created: changed.filter((i) => i.id < 0).sort((a, b) => b.id - a.id),
      updated: changed.filter((i) => i.id > 0),
      links,
      baselines: [...changedBaselines]
        .map((id) => baselines.get(id))
        .filter((b): b is Baseline => b !== undefined),
      watermark: highest,
    },
    events,
  };
}

/** Closes the open incidents whose quiet period has run out: closed at last seen + the quiet period. */
export function sweepIncidents(open: readonly Incident[], quietMs: number, now: number): FoldOutcome {
  const updated: Incident[] = [];
  const events: IncidentEvent[] = [];
  for (const incident of open) {
    if (incident.state !== 'open' || !isOver(incident.lastSeen, quietMs, now)) continue;
    const closed: Incident = { ...incident, state: 'closed', closedAt: incident.lastSeen + quietMs };
    updated.push(closed);
    events.push({ kind: 'incident.closed', incident: closed, at: now });
  }
  return { writes: { created: [], updated, links: [], baselines: [], watermark: 0 }, events };
}

/** The fold the product runs. */
export const incidentFold: IncidentFold = {
  needs: foldNeeds,
  fold: foldObservations,
  sweep: sweepIncidents,
};
