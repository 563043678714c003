/**
 * Incidents after re-judging (issue 15, item 6), pure. The fold only ever adds a trace to an incident; when a
 * stored detour is judged again and is no detour of that cause any more, it leaves its incident, and the
 * incident is rebuilt from the traces it keeps by the same fold, as if they had arrived fresh: counts, span,
 * witnesses and corroboration recomputed. The rebuilt incident keeps its id (links and published alerts name
 * it); when the remaining traces fall apart in time (a gap longer than the quiet period), the later groups
 * become incidents of their own. Both steps are expressed as fold contexts, so each engine runs them through
 * its own load -> fold -> apply (incident-store.ts) inside the re-judging transaction.
 */
import type { FoldContext, FoldOutcome, FoldState, IncidentFold } from '../store/incident-store.ts';
import type { Incident } from './types.ts';

const NOTHING = { baselines: [], samples: [], watermark: 0 };

/**
 * The fold for re-judged traces: incidents only. A re-judged trace was counted in its baseline and gave its
 * RTT samples when it was stored; folding it again must not count it twice, nor move the watermark.
 */
export function rejudgeFoldContext(base: FoldContext): FoldContext {
  const fold: IncidentFold = {
    ...base.fold,
    fold(state, observations, quietMs, now) {
      const out = base.fold.fold(state, observations, quietMs, now);
      return { ...out, writes: { ...out.writes, ...NOTHING } };
    },
  };
  return { ...base, fold };
}

/** The rebuilt `old` and any split-off incidents from the traces it keeps, from the fold's fresh outcome. */
export function rebuiltOutcome(old: Incident, fresh: FoldOutcome): FoldOutcome {
  const created = fresh.writes.created;
  // Creation order follows the traces' start times, so the first created is the oldest group: it keeps the id.
  const first = created[0];
  if (first === undefined) {
    return { writes: { created: [], updated: [], links: [], ...NOTHING }, events: [] };
  }
  const kept: Incident = {
    ...first,
    id: old.id,
    key: old.key,
    lastClearAt: old.lastClearAt !== null && old.lastClearAt > first.lastSeen ? old.lastClearAt : null,
  };
  return {
    writes: {
      created: created.slice(1),
      updated: [kept],
      links: fresh.writes.links.map((l) => (l.incidentId === first.id ? { ...l, incidentId: old.id } : l)),
      ...NOTHING,
    },
    // Nothing new happened: these traces were announced when they first came.
    events: [],
  };
}

/**
 * The fold context that rebuilds `old` from the observations given (its remaining traces, their links
 * removed first): the engine loads only their vantage facts, and the fold starts from no incident.
 */
export function rebuildFoldContext(base: FoldContext, old: Incident): FoldContext {
  const fold: IncidentFold = {
    ...base.fold,
    needs(observations) {
      const agents = [...new Set(observations.map((o) => o.agentId).filter((a): a is string => a !== null))];
      return { keys: [], pairs: [], baselines: [], traceIds: [], agents, addresses: [] };
    },
    fold(state, observations, quietMs, now) {
      const empty: FoldState = { incidents: [], baselines: [], linked: [], vantages: state.vantages ?? [] };
      const ordered = [...observations].sort((a, b) => a.startedAt - b.startedAt || a.traceId - b.traceId);
      return rebuiltOutcome(old, base.fold.fold(empty, ordered, quietMs, now));
    },
  };
  return { ...base, fold };
}
