/**
 * Evidence bundles from the store: the one place that reads what a bundle holds (each trace's history detail
 * and raw result, the agents and where they are believed to be) and hands it to the pure parts that build,
 * render and sign it. Used by the API (server/http/routes-evidence.ts) and by `incidents export` / `bundle`.
 */
import type { AnalysisProvenance } from '../analyze/pipeline.ts';
import type { DatabaseDigest } from '../geo/sources.ts';
import type { Store } from '../store/store.ts';
import type { BundleFile, TraceEvidence } from './bundle-document.ts';
import { type AgentFacts, type BundleSubject, documentBody } from './document-body.ts';
import { reportHtml } from './report-html.ts';
import { sealBundle } from './seal.ts';
import type { SigningKey } from './signing-key.ts';
import { traceEvidence } from './trace-evidence.ts';
import { worldRings } from './world-outline.ts';

export type EvidenceReadStore = Pick<
  Store,
  'traceDetail' | 'traceEvidence' | 'incidentDetail' | 'incidentTracePage' | 'getAgent' | 'getVantage'
>;

/** Who signs, and what the analysis rests on. */
export interface EvidenceContext {
  key: SigningKey;
  /** The distance bound, home and every database build this process has had in service, with digests. */
  provenance(): AnalysisProvenance;
  now(): number;
}

const buildKey = (d: DatabaseDigest) => `${d.role}\u0000${d.name}\u0000${d.builtAt ?? ''}`;

/**
 * The context of one process. The files' SHA-256 are computed once, when each database is opened (at start,
 * and at every swap: server/geo/database-swap.ts); the builds seen are remembered, so a bundle made after a
 * swap still names the digest of the build that judged its older traces.
 */
export function evidenceContext(
  key: SigningKey,
  analysis: () => AnalysisProvenance,
  now: () => number,
): EvidenceContext {
  const seen = new Map<string, DatabaseDigest>();
  const provenance = (): AnalysisProvenance => {
    const current = analysis();
    for (const d of current.databases) seen.set(buildKey(d), d);
    return { ...current, databases: [...seen.values()] };
  };
  provenance();
  return { key, provenance, now };
}

/** Incident traces per read. */
const PAGE = 500;

async function traceIdsOf(store: EvidenceReadStore, incidentId: number, now: number): Promise<number[]> {
  const ids: number[] = [];
  let after: number | null = null;
  for (;;) {
    const page = await store.incidentTracePage(incidentId, { limit: PAGE, after, now, fingerprint: '' });
    ids.push(...page.items.map((t) => t.id));
    const last = page.items.at(-1);
    if (page.nextCursor === null || last === undefined) break;
    after = last.id;
  }
  return ids.sort((a, b) => a - b);
}

async function evidenceOf(
  store: EvidenceReadStore,
  id: number,
  kmPerMs: number,
): Promise<TraceEvidence | null> {
  const [detail, stored] = await Promise.all([store.traceDetail(id), store.traceEvidence(id)]);
  if (detail === null || stored === null) return null;
  return traceEvidence({ detail, stored, kmPerMs });
}

async function agentFacts(store: EvidenceReadStore, agentId: string): Promise<AgentFacts> {
  const [agent, vantage] = await Promise.all([store.getAgent(agentId), store.getVantage(agentId)]);
  return {
    name: agent?.name ?? null,
    location: agent?.location ? { lat: agent.location.lat, lon: agent.location.lon } : null,
    locationStatus: vantage?.status ?? null,
    locationReason: vantage?.location.reason ?? null,
  };
}

async function bundleOf(
  store: EvidenceReadStore,
  subject: BundleSubject,
  traces: readonly TraceEvidence[],
  ctx: EvidenceContext,
  provenance: AnalysisProvenance,
): Promise<BundleFile> {
  const agents = new Map<string, AgentFacts>();
  for (const agentId of new Set(traces.flatMap((t) => (t.agentId === null ? [] : [t.agentId])))) {
    agents.set(agentId, await agentFacts(store, agentId));
  }
  const body = documentBody({
    subject,
    traces,
    agents,
    provenance,
    publicKey: ctx.key.publicKey,
    createdAt: new Date(ctx.now()).toISOString(),
  });
  return sealBundle(body, reportHtml(body, worldRings()), ctx.key);
}

/** The incident's bundle with every one of its traces; null when there is no such incident. */
export async function incidentBundle(
  store: EvidenceReadStore,
  incidentId: number,
  ctx: EvidenceContext,
): Promise<BundleFile | null> {
  const incident = await store.incidentDetail(incidentId);
  if (incident === null) return null;
  const provenance = ctx.provenance();
  const traces: TraceEvidence[] = [];
  // One trace at a time: an incident may hold thousands, and each read is short.
  for (const id of await traceIdsOf(store, incidentId, ctx.now())) {
    const t = await evidenceOf(store, id, provenance.kmPerMs);
    if (t !== null) traces.push(t);
  }
  return bundleOf(store, { kind: 'incident', incident }, traces, ctx, provenance);
}

/** One trace's bundle; null when there is no such trace. */
export async function traceBundle(
  store: EvidenceReadStore,
  traceId: number,
  ctx: EvidenceContext,
): Promise<BundleFile | null> {
  const provenance = ctx.provenance();
  const t = await evidenceOf(store, traceId, provenance.kmPerMs);
  return t === null ? null : bundleOf(store, { kind: 'trace', id: traceId }, [t], ctx, provenance);
}
