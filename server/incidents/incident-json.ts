import type {
  BaselineItem,
  BaselinePathItem,
  IncidentItem,
  WitnessItem,
} from '../../protocol/history-api.ts';
import type { Baseline, BaselinePath, Incident, Witness } from './types.ts';

/** Incidents and baselines as the API and the webhooks show them: times as ISO 8601. */

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function incidentJson(i: Incident): IncidentItem {
  return {
    id: i.id,
    state: i.state,
    subject: i.subject,
    agentId: i.agentId,
    destinationPrefix: i.destinationPrefix,
    countries: i.countries,
    asns: i.asns,
    firstSeen: iso(i.firstSeen),
    lastSeen: iso(i.lastSeen),
    closedAt: isoOrNull(i.closedAt),
    lastClearAt: isoOrNull(i.lastClearAt),
    traceCount: i.traceCount,
    confirmedCount: i.confirmedCount,
    firstTraceId: i.firstTraceId,
    lastTraceId: i.lastTraceId,
    corroborated: i.corroboratedAt !== null,
    corroboratedAt: isoOrNull(i.corroboratedAt),
    witnesses: i.witnessCount,
    witnessList: i.witnesses.map(witnessJson),
  };
}

function witnessJson(w: Witness): WitnessItem {
  return {
    subject: w.subject,
    agentId: w.agentId,
    owner: w.owner,
    addressPrefix: w.addressPrefix,
    asn: w.asn,
    city: w.city,
    locationStatus: w.status,
    firstSeen: iso(w.firstSeen),
    lastSeen: iso(w.lastSeen),
    traces: w.traces,
  };
}

function pathJson(p: BaselinePath): BaselinePathItem {
  return {
    countries: p.countries,
    asns: p.asns,
    since: iso(p.since),
    lastSeen: iso(p.lastSeen),
    traces: p.traces,
  };
}

export function baselineJson(b: Baseline): BaselineItem {
  return {
    subject: b.subject,
    agentId: b.agentId,
    target: b.target,
    normal:
      b.normal === null
        ? null
        : { ...pathJson(b.normal), of: b.normal.of, share: b.normal.share, leftHome: b.normal.leftHome },
    routers:
      b.routers === undefined || b.routers === null
        ? null
        : { ...b.routers, since: iso(b.routers.since), lastSeen: iso(b.routers.lastSeen) },
    latest: { ...pathJson(b.latest), verdict: b.latest.verdict, traceId: b.latest.traceId },
    changed: b.changed,
  };
}
