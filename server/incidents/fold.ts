/**
 * The incident fold: pure, so the store can run it inside the transaction that writes the traces
 * (server/store/incident-store.ts). Given the ledger's state for a batch, it decides what the batch does,
 * observation by observation in the order given: the baseline of the trace's pair, the incident a detour
 * joins or opens (a trace already in an incident is skipped, so replaying a range is harmless) with its
 * vantage point as a witness, and a domestic reading that may clear recent incidents of its pair. It also
 * hands the vantage checks the RTT readings of the batch (server/trust/rtt-samples.ts). The decisions
 * themselves are grouping.ts, witnesses.ts and baseline.ts.
 *
 * Trust: a trace from a vantage whose location is `contradicted` never joins or clears an incident (it is
 * stored, judged, and shown with its vantage's status; physics measured from a false point proves nothing).
 * An incident is published (`incident.opened`) only once corroborated by independent verified witnesses;
 * `incident.corroborated` marks that moment, `incident.confirmed` a published incident's first confirmed trace
 * (issue 14), and `incident.closed` follows only a published incident. Late detours raise events as any other.
 */

import { destinationPrefix } from '../../protocol/address/prefix.ts';
import type { Position } from '../../protocol/messages.ts';
import type { FoldNeeds, FoldOutcome, FoldState, FoldWrites, IncidentFold } from '../store/incident-store.ts';
import { rttSamples } from '../trust/rtt-samples.ts';
import { type BaselineWindow, baselineStep, DEFAULT_BASELINE_WINDOW, judgesPath } from './baseline.ts';
import { clearedAt, isOver, joins, newIncident, withTrace } from './grouping.ts';
import { incidentKey, vantageSubject } from './incident-key.ts';
import type {
  Baseline,
  Incident,
  IncidentEvent,
  RouteChange,
  TraceObservation,
  VantageFacts,
} from './types.ts';
import {
  addWitness,
  type CorroborationRules,
  corroborates,
  countedWitnesses,
  DEFAULT_CORROBORATION_RULES,
  witnessOf,
} from './witnesses.ts';

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
  const agents = new Set<string>();
  const addresses = new Set<string>();
  for (const o of observations) {
    if (o.agentId !== null) {
      agents.add(o.agentId);
      if ((o.destinationRttMs ?? null) !== null && o.destinationIp !== null) addresses.add(o.destinationIp);
    }
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
    agents: [...agents],
    addresses: [...addresses],
  };
}

/** Whether `a` is the better candidate than `b` to join: the one seen last; a newer incident on a tie. */
function later(a: Incident, b: Incident): boolean {
  if (a.lastSeen !== b.lastSeen) return a.lastSeen > b.lastSeen;
  // Placeholders (new in this batch) are negative and newer than any row; among them, lower is newer.
  if (a.id < 0 || b.id < 0) return a.id < b.id;
  return a.id > b.id;
}

/** The incident with its witnesses recounted; corroborated (for good) the first time the rules are met. */
function witnessed(i: Incident, rules: CorroborationRules, at: number): Incident {
  const witnessCount = countedWitnesses(i.witnesses, rules.maxWitnessesPerOwner).length;
  const corroboratedAt = i.corroboratedAt ?? (corroborates(i.witnesses, rules) ? at : null);
  return { ...i, witnessCount, corroboratedAt };
}

/**
 * The events one detour's change of an incident raises (`before` null: the detour created it). A late detour
 * (an outbox replayed, an import) is announced like any other: an incident that was over before it was
 * recorded is opened and closed at once, marked late; it used to raise nothing, so old results never alerted.
 * `incident.confirmed` marks a published incident's first confirmed trace after only probable ones, once.
 */
function eventsOf(
  before: Incident | null,
  after: Incident,
  rules: CorroborationRules,
  now: number,
  lateTrace: boolean,
): IncidentEvent[] {
  if (after.corroboratedAt === null) return [];
  const late = lateTrace || after.state === 'closed';
  const event = (kind: IncidentEvent['kind']): IncidentEvent =>
    late ? { kind, incident: after, at: now, late } : { kind, incident: after, at: now };
  const events: IncidentEvent[] = [];
  if (before === null || before.corroboratedAt === null) {
    // The opening waited for its witnesses; with corroboration off there is nothing to announce besides it.
    events.push(event('incident.opened'));
    if (rules.corroboration > 1) events.push(event('incident.corroborated'));
    if (after.state === 'closed') events.push(event('incident.closed'));
    return events;
  }
  if (before.state === 'closed' && after.state === 'open') events.push(event('incident.opened'));
  if (before.confirmedCount === 0 && after.confirmedCount > 0) events.push(event('incident.confirmed'));
  return events;
}

export function foldObservations(
  state: FoldState,
  observations: readonly TraceObservation[],
  quietMs: number,
  now: number,
  rules: CorroborationRules = DEFAULT_CORROBORATION_RULES,
  landmarks: ReadonlyMap<string, Position> = new Map(),
  baselineWindow: BaselineWindow = DEFAULT_BASELINE_WINDOW,
): FoldOutcome {
  const vantages = new Map<string, VantageFacts>((state.vantages ?? []).map((v) => [v.agentId, v]));
  const agentAt = new Map<string, string>((state.peers ?? []).map((p) => [p.address, p.agentId]));
  const samples: NonNullable<FoldWrites['samples']> = [];
  const incidents = new Map<number, Incident>(state.incidents.map((i) => [i.id, i]));
  const baselines = new Map<string, Baseline>(state.baselines.map((b) => [pairKey(b.subject, b.target), b]));
  const linked = new Set(state.linked);
  const touched = new Set<number>();
  const changedBaselines = new Set<string>();
  const routeChanges: RouteChange[] = [];
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
    // Stamped with the fold's clock: the checks re-evaluate what changed since they last looked.
    for (const sample of rttSamples(o, agentAt, landmarks)) samples.push({ ...sample, at: now });
    const facts = o.agentId === null ? undefined : vantages.get(o.agentId);
    const believed = facts?.status !== 'contradicted';

    const pair = baselinePair(o);
    if (pair) {
      const id = pairKey(pair.subject, pair.target);
      const step = baselineStep(baselines.get(id) ?? null, o, pair.subject, pair.target, baselineWindow);
      baselines.set(id, step.baseline);
      routeChanges.push(...step.changes);
      changedBaselines.add(id);
    }

    const key = believed ? incidentKey(o) : null;
    if (key && !linked.has(o.traceId)) {
      linked.add(o.traceId);
      const witness = witnessOf(o, vantageSubject(o), facts);
      let found: Incident | null = null;
      for (const i of incidents.values()) {
        if (i.key === key.key && joins(i, o.startedAt, quietMs) && (found === null || later(i, found)))
          found = i;
      }
      if (found) {
        const joined = withTrace(found, o, quietMs, now);
        const next = witnessed(
          { ...joined, witnesses: addWitness(joined.witnesses, witness) },
          rules,
          o.startedAt,
        );
        set(next);
        links.push({ incidentId: found.id, traceId: o.traceId });
        events.push(...eventsOf(found, next, rules, now, o.late === true));
      } else {
        const born: Incident = { ...newIncident(key, o, quietMs, now), id: --placeholder };
        const fresh = witnessed({ ...born, witnesses: [witness] }, rules, o.startedAt);
        set(fresh);
        links.push({ incidentId: fresh.id, traceId: o.traceId });
        events.push(...eventsOf(null, fresh, rules, now, o.late === true));
      }
    }

    const clear = believed ? clearPair(o) : null;
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
      samples,
      routeChanges,
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
    // Nobody was told of an incident that never had its witnesses.
    if (closed.corroboratedAt !== null) events.push({ kind: 'incident.closed', incident: closed, at: now });
  }
  return { writes: { created: [], updated, links: [], baselines: [], watermark: 0 }, events };
}

/**
 * The fold with its corroboration rules (`serve --corroboration`, `--max-witnesses-per-owner`) and the
 * catalogue's landmarks as they are at each fold (the target file is reloaded while serving).
 */
export function createIncidentFold(
  rules: CorroborationRules,
  landmarks: () => ReadonlyMap<string, Position> = () => new Map(),
  baselineWindow: BaselineWindow = DEFAULT_BASELINE_WINDOW,
): IncidentFold {
  return {
    needs: foldNeeds,
    fold: (state, observations, quietMs, now) =>
      foldObservations(state, observations, quietMs, now, rules, landmarks(), baselineWindow),
    sweep: sweepIncidents,
  };
}

/** The fold under the default rules. */
export const incidentFold: IncidentFold = createIncidentFold(DEFAULT_CORROBORATION_RULES);
