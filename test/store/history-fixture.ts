/**
 * One history written through the store's real write paths (agents' results with hops, imports over three
 * months with several agents, regions, targets, countries, ASNs and confidences, the incident fold bound to
 * every write, sweeps, webhook deliveries), and every read of the store in one object: what the engine
 * conformance tests compare between SQLite and PostgreSQL, and between a store and its copy.
 */
import {
  NO_DETOUR_FILTER,
  NO_INCIDENT_FILTER,
  NO_TRACE_FILTER,
  type TraceFilter,
} from '../../server/history/filters.ts';
import { createIncidentFold } from '../../server/incidents/fold.ts';
import { startIncidentTracker } from '../../server/incidents/tracker.ts';
import type { IncidentEvent, TraceObservation } from '../../server/incidents/types.ts';
import { parseTraces } from '../../server/parse/index.ts';
import type { Store } from '../../server/store/store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import type { ImportRecord, ResultRecord } from '../../server/store/trace-store.ts';
import { createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { detourObservation, domesticObservation } from '../history/observation.ts';
import { recordOf } from '../history/trace-records.ts';
import { AGENT_LOCATION, DETOUR_OUTPUT, DOMESTIC_OUTPUT } from '../integration/coordinator-harness.ts';

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const T0 = Date.parse('2026-01-05T00:00:00Z');
const QUIET = 2 * HOUR;
const analyzer = createWorldAnalyzer();

/** Imports over three months: a detour streak per cause, domestic readings between, other verdicts. */
function imports(): ImportRecord[] {
  const records: ImportRecord[] = [];
  const agents = ['ag_seattle', 'ag_denver', null];
  const targets = ['203.0.113.10', '203.0.113.77', '198.51.100.200'];
  for (let i = 0; i < 240; i++) {
    // Twelve bursts of twenty traces, 20 minutes apart, a week apart: incidents open, grow and close.
    const at = T0 + Math.floor(i / 20) * 8 * DAY + (i % 20) * 20 * 60_000 + (i % 7) * 1000;
    const agentId = agents[i % 3] ?? null;
    const destinationIp = targets[(i >> 2) % 3] ?? '203.0.113.10';
    const base: Partial<TraceObservation> = {
      startedAt: at,
      agentId,
      destinationIp,
      sourcePosition: agentId === null ? { lat: 40.7 + (i % 2) * 3, lon: -74 } : { lat: 47.6, lon: -122.3 },
    };
    const kind = i % 10;
    const o =
      kind < 5
        ? detourObservation({
            ...base,
            foreignCountries: kind === 4 ? ['RU', 'DE'] : ['CN'],
            foreignAsns: kind === 4 ? [12389, 3320] : kind === 3 ? [4809] : [4134],
            confidence: kind === 2 ? 'probable' : 'confirmed',
          })
        : kind < 8
          ? domesticObservation(base)
          : domesticObservation({ ...base, verdict: kind === 8 ? 'foreign-endpoint' : 'inconclusive' });
    const record = recordOf(o);
    // Some traces name their destination, in mixed case: the target filter matches names without case.
    if (i % 4 === 1) record.trace.destination.name = i % 8 === 1 ? 'Host.Example.NET' : 'other.example.org';
    records.push(record);
  }
  // The same key twice and a key stored before: each stored once.
  const [first, second] = records;
  if (first && second) records.push({ ...first }, { ...second, importKey: first.importKey });
  return records;
}

/** Made once: both stores import the very same records (the import keys included). */
const IMPORTS = imports();

function result(agentId: string, n: number, output: string, at: number): ResultRecord {
  const traces = parseTraces(output, 'traceroute').map((trace) => ({
    origin: 'agent' as const,
    agentId,
    trace,
    verdict: analyzer.analyze(trace, { ...AGENT_LOCATION, source: 'declared' }),
  }));
  return {
    resultId: `result-${n}`,
    agentId,
    taskId: `tk_${n}`,
    target: traces[0]?.trace.destination.address ?? 'unknown',
    engine: 'traceroute',
    startedAt: new Date(at).toISOString(),
    durationMs: 800 + n,
    receivedAt: new Date(at + 1000).toISOString(),
    output,
    error: n % 5 === 4 ? 'part of it did not parse' : null,
    traces,
  };
}

export interface Written {
  events: IncidentEvent[];
  agentNames: Map<string, string>;
  outcomes: unknown[];
}

/** The one history, written to `store` through its real write paths. */
export async function writeHistory(store: Store): Promise<Written> {
  let clock = T0;
  const events: IncidentEvent[] = [];
  const tracker = await startIncidentTracker({
    // Events of one network's incidents; corroboration by witnesses is test/history/incident-witnesses.test.ts's.
    fold: createIncidentFold({ corroboration: 1, maxWitnessesPerOwner: 2 }),
    store,
    quietMs: QUIET,
    now: () => clock,
    raise: (e) => events.push(...e),
  });
  const agentNames = new Map<string, string>();
  const agents: string[] = [];
  for (const name of ['sfo-volunteer', 'nyc-volunteer']) {
    const token = await store.createToken(name, hashToken(name), new Date(T0).toISOString());
    const agent = await store.recordHello({
      tokenId: token.id,
      name,
      location: AGENT_LOCATION,
      engines: ['traceroute'],
      limits: { maxConcurrent: 2, maxPerMinute: 30 },
      agentVersion: '0.1.0',
      protocolVersion: 1,
      address: '198.51.100.9',
      at: new Date(T0).toISOString(),
    });
    agentNames.set(agent.id, `<${name}>`);
    agents.push(agent.id);
  }
  await store.revokeToken(2, new Date(T0 + DAY).toISOString());
  const outcomes: unknown[] = [];
  const records = IMPORTS;
  // In batches, with sweeps between (as the coordinator's timer would), the clock following the data.
  for (let i = 0; i < records.length; i += 10) {
    const batch = records.slice(i, i + 10);
    clock = Math.max(...batch.map((r) => Date.parse(r.trace.startedAt ?? ''))) + 10 * 60_000;
    outcomes.push(await store.writeImported(batch));
    await tracker.sweep();
  }
  outcomes.push([...(await store.knownImportKeys(records.slice(0, 5).map((r) => r.importKey)))].sort());
  // Results with hops in the first month (which retention drops whole on PostgreSQL) and in the third.
  const at = T0 + 80 * DAY;
  const results = [0, 1, 2, 3, 4, 5].map((n) =>
    result(
      agents[n % 2] ?? '',
      n,
      n % 3 === 0 ? DOMESTIC_OUTPUT : DETOUR_OUTPUT,
      (n < 3 ? T0 + DAY : at) + n * 10 * 60_000,
    ),
  );
  clock = at + HOUR;
  const [r0, r1] = results;
  if (r0 && r1) outcomes.push(await store.writeResults([r0, r1, r0]));
  outcomes.push(await store.writeResults(results));
  await store.touchAgents([{ agentId: agents[0] ?? '', lastSeen: new Date(at + DAY).toISOString() }]);
  await store.markDisconnected(agents[1] ?? '', new Date(at + 2 * DAY).toISOString());
  for (const [n, e] of events.slice(0, 3).entries()) {
    const id = await store.createDelivery(e.kind, e.incident.id, `https://hooks.example/${n}`, at + n);
    await store.updateDelivery(id, {
      status: n === 0 ? 'delivered' : 'failed',
      attempts: n + 1,
      httpStatus: n === 0 ? 200 : 502,
      lastError: n === 0 ? null : 'x'.repeat(800),
      at: at + n + 1,
    });
  }
  clock = at + 10 * DAY;
  await tracker.sweep();
  tracker.stop();
  return { events, agentNames, outcomes };
}

const page = (limit: number, after: number | null = null) => ({
  limit,
  after,
  now: T0 + 100 * DAY,
  fingerprint: 'f',
});
const noTrace = NO_TRACE_FILTER;
const noDetour = NO_DETOUR_FILTER;
const noIncident = NO_INCIDENT_FILTER;

/** Every page of a list, following the cursors (the cursor text included in what is compared). */
async function allPages(
  read: (p: ReturnType<typeof page>) => Promise<{ items: object[]; nextCursor: string | null }>,
  limit: number,
): Promise<unknown[]> {
  const pages: unknown[] = [];
  let after: number | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const p = await read(page(limit, after));
    pages.push(p);
    const last = p.items[p.items.length - 1] as { id?: number } | undefined;
    if (p.nextCursor === null || last?.id === undefined) return pages;
    after = last.id;
  }
  throw new Error('the pages never end');
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** Every read of the store, in one object. */
export async function readEverything(store: Store): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const agents = await store.listAgents();
  const agentA = agents.find((a) => a.name === 'sfo-volunteer')?.id ?? '';
  out.agents = agents;
  out.tokens = await store.listTokens();
  out.counts = await store.counts();
  out.historyCounts = await store.historyCounts();
  out.watermark = await store.incidentWatermark();
  out.lastTraceId = await store.lastTraceId();
  out.listTraces = await store.listTraces({ limit: 25 });
  const traceFilters: Record<string, TraceFilter> = {
    all: noTrace,
    detours: { ...noTrace, verdict: 'detour' },
    agent: { ...noTrace, agent: 'ag_denver' },
    realAgent: { ...noTrace, agent: agentA },
    imports: { ...noTrace, origin: 'import' },
    targetIp: { ...noTrace, target: '203.0.113.77' },
    targetName: { ...noTrace, target: 'host.example.net' },
    window: { ...noTrace, since: T0 + 20 * DAY, until: T0 + 45 * DAY },
  };
  for (const [name, f] of Object.entries(traceFilters)) {
    out[`tracePage.${name}`] = await allPages((p) => store.tracePage(f, p), 17);
  }
  const ids = Array.from({ length: (out.lastTraceId as number) + 2 }, (_, i) => i);
  out.traceDetails = await Promise.all(ids.map((id) => store.traceDetail(id)));
  out.getTraces = await Promise.all(
    ids.filter((id) => id % 7 === 0 || id > 240).map((id) => store.getTrace(id)),
  );
  const detourFilters = {
    all: noDetour,
    china: { ...noDetour, country: 'CN' },
    germany: { ...noDetour, country: 'DE' },
    as4809: { ...noDetour, asn: 4809 },
    as4134cn: { ...noDetour, asn: 4134, country: 'CN' },
    agent: { ...noDetour, agent: 'ag_seattle' },
    probable: { ...noDetour, confidence: 'probable' as const },
    target: { ...noDetour, target: 'HOST.example.net' },
    window: { ...noDetour, since: T0 + 10 * DAY, until: T0 + 50 * DAY },
  };
  for (const [name, f] of Object.entries(detourFilters)) {
    out[`detourPage.${name}`] = await allPages((p) => store.detourPage(f, p), 13);
    out[`detourExport.${name}`] = await collect(store.detourExport(f));
    const mapFilter = { ...f, incident: null };
    out[`mapDetours.${name}`] = await store.mapDetours(mapFilter, 30);
    out[`mapTimeline.${name}`] = await store.mapTimeline(mapFilter, DAY);
    out[`mapTimeSpan.${name}`] = await store.mapTimeSpan(mapFilter);
  }
  out.mapByAgentName = await store.mapDetours({ ...noDetour, agent: 'sfo-volunteer', incident: null }, 30);
  out.mapAgents = await store.mapAgents('sfo-volunteer');
  out.mapOfIncident = await store.mapDetours({ ...noDetour, agent: null, incident: 3 }, 30);
  out.mapDetour = await Promise.all(ids.slice(0, 30).map((id) => store.mapDetour(id)));
  // The event stream (issue 12): what each write appended, but when (the writer's clock).
  out.events = (await store.eventsAfter(0, { limit: 100_000 })).events.map((e) => ({
    type: e.type,
    data: JSON.parse(e.data) as unknown,
  }));
  const incidentFilters = {
    all: noIncident,
    open: { ...noIncident, state: 'open' as const },
    closed: { ...noIncident, state: 'closed' as const },
    russia: { ...noIncident, country: 'RU' },
    as4809: { ...noIncident, asn: 4809 },
    agent: { ...noIncident, agent: 'ag_seattle' },
    target: { ...noIncident, target: '203.0.113.200' },
    window: { ...noIncident, since: T0 + 30 * DAY, until: T0 + 40 * DAY },
  };
  for (const [name, f] of Object.entries(incidentFilters)) {
    out[`incidentPage.${name}`] = await allPages((p) => store.incidentPage(f, p), 4);
  }
  const incidents = (await store.incidentPage(noIncident, page(1000))).items;
  out.incidentDetails = await Promise.all(incidents.map((i) => store.incidentDetail(i.id)));
  out.incidentTraces = await Promise.all(
    incidents.map((i) => allPages((p) => store.incidentTracePage(i.id, p), 3)),
  );
  out.baselines = await allPages((p) => store.baselinePage({ agent: null, target: null }, p), 3);
  out.baselinesOfAgent = await allPages(
    (p) => store.baselinePage({ agent: 'ag_denver', target: null }, p),
    2,
  );
  out.baselinesOfTarget = await allPages(
    (p) => store.baselinePage({ agent: 'ag_seattle', target: '203.0.113.10' }, p),
    2,
  );
  out.stats = await store.dailyStats({ since: T0 - DAY, until: T0 + 95 * DAY }, null, T0);
  out.statsDefault = await store.dailyStats({ since: null, until: null }, null, T0 + 30 * DAY);
  out.statsAgent = await store.dailyStats({ since: T0, until: T0 + 90 * DAY }, 'ag_seattle', T0);
  out.deliveries = await allPages((p) => store.deliveryPage(p), 2);
  return out;
}

/** JSON with each store's random agent ids replaced by the agents' names. */
export function normalised(value: unknown, agentNames: ReadonlyMap<string, string>): unknown {
  let text = JSON.stringify(value);
  for (const [id, name] of agentNames) text = text.split(id).join(name);
  return JSON.parse(text);
}
