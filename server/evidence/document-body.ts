/**
 * The evidence document's body (pure): the traces' evidence with the vantage points that measured them, the
 * databases that judged them, the software and the analysis settings. The report's digest is added by seal.ts.
 */
import type { IncidentDetail } from '../../protocol/history-api.ts';
import type { GeoDatabaseBuild } from '../../protocol/verdict.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { AnalysisProvenance } from '../analyze/pipeline.ts';
import type { DatabaseDigest } from '../geo/sources.ts';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type DatabaseEvidence,
  type DocumentBody,
  type Position,
  SIGNATURE_ALGORITHM,
  type TraceEvidence,
  type VantagePointEvidence,
} from './bundle-document.ts';

/** What the store says about one agent: its record and, when kept, where it is believed to be. */
export interface AgentFacts {
  name: string | null;
  location: Position | null;
  locationStatus: string | null;
  locationReason: string | null;
}

export type BundleSubject = { kind: 'incident'; incident: IncidentDetail } | { kind: 'trace'; id: number };

export interface BodyInputs {
  subject: BundleSubject;
  traces: readonly TraceEvidence[];
  agents: ReadonlyMap<string, AgentFacts>;
  provenance: AnalysisProvenance;
  publicKey: string;
  createdAt: string;
}

const buildKey = (b: Pick<GeoDatabaseBuild, 'role' | 'name' | 'builtAt'>) =>
  `${b.role}\u0000${b.name}\u0000${b.builtAt ?? ''}`;

/**
 * Each database build the traces were judged with (their verdicts name them), with its file's SHA-256 when
 * this coordinator has that build open. A verdict judged before verdicts named their builds only cites file
 * names per hop: those are listed by name, with what is known of the build of that name in service now.
 */
export function databasesOf(
  traces: readonly TraceEvidence[],
  inService: readonly DatabaseDigest[],
): DatabaseEvidence[] {
  const known = new Map(inService.map((d) => [buildKey(d), d]));
  const byKey = new Map<string, DatabaseEvidence>();
  const add = (build: GeoDatabaseBuild, traceId: number) => {
    const key = buildKey(build);
    let entry = byKey.get(key);
    if (!entry) {
      entry = { ...build, sha256: known.get(key)?.sha256 ?? null, traceIds: [] };
      byKey.set(key, entry);
    }
    if (!entry.traceIds.includes(traceId)) entry.traceIds.push(traceId);
  };
  for (const t of traces) {
    const builds = t.verdict.geoDatabases;
    if (builds !== undefined) {
      for (const b of builds) add({ role: b.role, name: b.name, builtAt: b.builtAt }, t.id);
      continue;
    }
    for (const label of new Set(t.verdict.hops.map((h) => h.database).filter((d) => d !== null))) {
      const same = inService.find((d) => d.name === label);
      add({ role: same?.role ?? 'city', name: label as string, builtAt: same?.builtAt ?? null }, t.id);
    }
  }
  return [...byKey.values()];
}

function vantagePointsOf(
  traces: readonly TraceEvidence[],
  agents: ReadonlyMap<string, AgentFacts>,
): VantagePointEvidence[] {
  const out = new Map<string, VantagePointEvidence>();
  for (const t of traces) {
    if (t.agentId === null) continue;
    let v = out.get(t.agentId);
    if (!v) {
      const facts = agents.get(t.agentId);
      v = {
        agentId: t.agentId,
        name: facts?.name ?? null,
        claimedPosition: facts?.location ?? null,
        locationStatus: facts?.locationStatus ?? null,
        locationReason: facts?.locationReason ?? null,
        traceIds: [],
      };
      out.set(t.agentId, v);
    }
    v.traceIds.push(t.id);
  }
  return [...out.values()];
}

function titleOf(subject: BundleSubject): string {
  if (subject.kind === 'trace') return `Evidence: trace #${subject.id}`;
  const i = subject.incident;
  const via = [...i.countries, ...i.asns.map((a) => `AS${a}`)].join(' ');
  return `Evidence: incident #${i.id}, ${i.destinationPrefix} via ${via}`;
}

export function documentBody(inputs: BodyInputs): DocumentBody {
  const { subject, traces } = inputs;
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    subject:
      subject.kind === 'incident'
        ? { kind: 'incident', id: subject.incident.id }
        : { kind: 'trace', id: subject.id },
    title: titleOf(subject),
    createdAt: inputs.createdAt,
    software: { name: 'detourwatch', version: AGENT_VERSION, protocolVersion: PROTOCOL_VERSION },
    signer: { algorithm: SIGNATURE_ALGORITHM, publicKey: inputs.publicKey },
    analysis: {
      kmPerMs: inputs.provenance.kmPerMs,
      homeCountries: [...inputs.provenance.homeCountries],
    },
    incident: subject.kind === 'incident' ? subject.incident : null,
    vantagePoints: vantagePointsOf(traces, inputs.agents),
    databases: databasesOf(traces, inputs.provenance.databases),
    traces: [...traces],
  };
}
