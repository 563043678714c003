/**
 * The operators' history API (/api/v1/traces, detours, incidents, baselines, stats, deliveries): the shapes the
 * coordinator answers and the CLI's remote source reads.
 */
import type { ErrorCode } from './errors.ts';
import type { ProbeMethod, TraceTool } from './trace.ts';
import type { Confidence, ForeignHop, HopReading, HopStatus, Verdict, VerdictKind } from './verdict.ts';

export const INCIDENT_STATES = ['open', 'closed'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/**
 * What an alert is about: an incident published (`opened`: once corroborated, see IncidentItem), reaching its
 * independent witnesses (`corroborated`, only when corroboration is required), its first `confirmed` trace
 * after only probable ones (`confirmed`, issue 14), or closing.
 */
export const INCIDENT_EVENT_KINDS = [
  'incident.opened',
  'incident.corroborated',
  'incident.confirmed',
  'incident.closed',
] as const;
export type IncidentEventKind = (typeof INCIDENT_EVENT_KINDS)[number];

/** A pair's AS path changed (issue 14 item 4): a webhook event only for webhooks that list it (opt-in). */
export const ROUTE_CHANGED_EVENT = 'route.changed';
/** What a webhook's `events` may list: the incidents' (its default) and the opt-in `route.changed`. */
export const WEBHOOK_EVENT_KINDS = [...INCIDENT_EVENT_KINDS, ROUTE_CHANGED_EVENT] as const;
export type WebhookEventKind = (typeof WEBHOOK_EVENT_KINDS)[number];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'dropped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const TRACE_ORIGINS = ['agent', 'import', 'paste'] as const;
/**
 * Where a trace came from: an agent of this network, imported (RIPE Atlas results: tool `atlas`), or a paste an
 * operator saved from the map (POST /api/v1/analyze?save=1, issue 13).
 */
export type TraceOrigin = (typeof TRACE_ORIGINS)[number];

export interface TraceSummary {
  id: number;
  origin: TraceOrigin;
  agentId: string | null;
  resultId: string | null;
  sourceIp: string | null;
  destinationIp: string | null;
  destinationName: string | null;
  tool: TraceTool;
  method: ProbeMethod;
  startedAt: string;
  verdict: VerdictKind;
  confidence: Confidence | null;
  countries: string[];
  foreignCountries: string[];
  foreignAsns: number[];
  /**
   * Whether it arrived long after it started (`serve --late-after`: an agent offline, an outbox replayed, an
   * import): judged and alerted like any other, marked so a reader knows it describes the past.
   */
  late: boolean;
  /** The RIPE Atlas probe that measured an imported trace; null otherwise. */
  probeId?: number | null;
}

/** One responding address at one TTL (or a TTL where nothing answered: ip null). */
export interface StoredHop {
  ttl: number;
  ip: string | null;
  /** Lowest RTT among this address's replies at this TTL. */
  rttMs: number | null;
  /** How many probes this address answered at this TTL. */
  replies: number;
  status: HopStatus | null;
  country: string | null;
  asn: number | null;
}

/** One page of a list. The API names the list after what it holds: `{"traces": [...], "nextCursor": ...}`. */
export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** The list names of the API's pages. */
export type ListName = 'traces' | 'detours' | 'incidents' | 'baselines' | 'deliveries' | 'routeChanges';

/** A page as the API answers it. */
export function pageJson<T>(name: ListName, page: Page<T>): Record<string, unknown> {
  return { [name]: page.items, nextCursor: page.nextCursor };
}

/** The store's trace summary, plus what the history adds: the IP version, the detour's cost and its incident. */
export interface TraceItem extends TraceSummary {
  ipVersion: 4 | 6;
  extraKm: number | null;
  /** The incident this trace is evidence of, if any. */
  incidentId: number | null;
  /**
   * Its agent's location status now (null for imports): a contradicted vantage's detours never count (no
   * incident; off the map unless asked for), an unverified one's are marked as such.
   */
  vantage: LocationStatus | null;
}

/** One responding address at one TTL, as stored. */
export type HopItem = StoredHop;

export interface TraceDetail extends TraceItem {
  /** True when retention deleted the raw hop rows; the verdict (with its evidence) is kept. */
  hopsPurged: boolean;
  hops: HopItem[];
  verdictDetail: Verdict;
}

/** Where the prober was, when known (the agent's declared location, or the Atlas probe's). */
export interface PositionItem {
  lat: number;
  lon: number;
}

export interface DetourItem extends TraceItem {
  confidence: Confidence;
  agentName: string | null;
  sourcePosition: PositionItem | null;
  foreignHops: ForeignHop[];
  reason: string;
  /** Every TTL's reading (the verdict's hop table): what the GeoJSON export draws, source to destination. */
  hops: HopReading[];
}

export interface IncidentItem {
  id: number;
  state: IncidentState;
  /** The vantage point: `agent:<id>`, `region:<lat>,<lon>` (imports: a 1-degree cell) or `source:<prefix>`. */
  subject: string;
  agentId: string | null;
  destinationPrefix: string;
  countries: string[];
  asns: number[];
  firstSeen: string;
  lastSeen: string;
  closedAt: string | null;
  /** A domestic reading of the same pair after the last detour, if any: "it may be over". */
  lastClearAt: string | null;
  traceCount: number;
  confirmedCount: number;
  firstTraceId: number;
  lastTraceId: number;
  /**
   * Whether enough independent verified vantage points saw it (`--corroboration N`); until then it is a
   * "single witness" incident and no `incident.opened` alert is sent.
   */
  corroborated: boolean;
  corroboratedAt: string | null;
  /** How many witnesses count (at most `--max-witnesses-per-owner` per owner, ASN and city). */
  witnesses: number;
  /** Every vantage point that saw it, in the order they did. */
  witnessList: WitnessItem[];
}

/** How far an agent's claimed location is believed (server/trust/vantage.ts decides). */
export const LOCATION_STATUSES = ['verified', 'unverified', 'contradicted'] as const;
export type LocationStatus = (typeof LOCATION_STATUSES)[number];

/** One vantage point that saw an incident, with what makes it independent of the others. */
export interface WitnessItem {
  /** `agent:<id>`, or an import's region (`region:<lat>,<lon>`). */
  subject: string;
  agentId: string | null;
  /** The token's owner (or `token:<id>` when none was given); null for imports. */
  owner: string | null;
  /** The /24 (IPv4) or /48 (IPv6) of the agent's public address. */
  addressPrefix: string | null;
  /** Origin ASN of that network, where known. */
  asn: number | null;
  city: string | null;
  /** The vantage's location status when it last saw the incident. */
  locationStatus: LocationStatus;
  firstSeen: string;
  lastSeen: string;
  traces: number;
}

/** One piece of evidence about where an agent is: a disc of `boundKm` around `position`. */
export interface VantageEvidenceItem {
  kind: 'first-hop' | 'mesh' | 'landmark';
  /** What was measured: the hop's address, the other agent's id, the landmark's address. */
  subject: string;
  /** How a person reads it: "first public hop 198.51.100.7 (San Jose)", "verified agent la-1". */
  label: string;
  position: { lat: number; lon: number };
  rttMs: number;
  /** rtt x km-per-ms plus the position's own uncertainty. */
  boundKm: number;
  /** From the claimed location to `position`. */
  distanceKm: number;
  consistent: boolean;
  /** `physics`: a verified agent or an operator's landmark; `database`: a database placement. */
  strength: 'physics' | 'database';
  /** Whether it took part in the decision (an unverified peer or a loose disc does not). */
  counted: boolean;
}

/** An agent's location status, its evidence and any operator override (GET /api/v1/agents, `agents show`). */
export interface AgentLocationItem {
  status: LocationStatus;
  /** One sentence with the numbers: why this status. */
  reason: string;
  /** How tightly the evidence pins the agent (km), when verified by evidence. */
  radiusKm: number | null;
  evidence: VantageEvidenceItem[];
  override: { by: string; note: string; at: string } | null;
  evaluatedAt: string | null;
}

export interface BaselinePathItem {
  countries: string[];
  asns: number[] | null;
  since: string;
  lastSeen: string;
  traces: number;
}

export interface BaselineItem {
  subject: string;
  agentId: string | null;
  target: string;
  /** The usual AS-level path: the most frequent over the window of recent judged traces, with its share. */
  normal: UsualPathItem | null;
  /** The usual router-level path, with its share. */
  routers: UsualRouterPathItem | null;
  latest: BaselinePathItem & { verdict: VerdictKind; traceId: number };
  changed: boolean;
}

export interface IncidentDetail extends IncidentItem {
  /** The normal paths of the vantage point to addresses in the incident's prefix. */
  baselines: BaselineItem[];
}

export interface StatsDay {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  traces: number;
  /** Traces judged `domestic` or `detour` (the others could not say). */
  judged: number;
  detours: number;
  confirmed: number;
  /** detours / traces, 0 when no trace. */
  share: number;
}

export interface StatsReport {
  since: string;
  until: string;
  days: StatsDay[];
}

export interface DeliveryItem {
  id: number;
  event: string;
  incidentId: number | null;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  httpStatus: number | null;
  /** Why this delivery went out, when the webhook has rules: `rule 1 (...)`; null without rules or when not sent. */
  rule: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Every error the coordinator's HTTP API answers, on every route (history, map, agents, measurements,
 * health): `{"error": {"code": "BAD_PARAMETER", "message": "since: ...", "parameter": "since"}}`.
 * `parameter` names the query, path or body parameter at fault (BAD_PARAMETER only).
 */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; parameter?: string };
}

/** A path with its share of the window ("AS7018 AS3356: 83% of 48 traces"), issue 14. */
export interface UsualPathItem extends BaselinePathItem {
  of: number;
  share: number;
  leftHome: boolean;
}

export interface UsualRouterPathItem {
  hops: (string | null)[];
  since: string;
  lastSeen: string;
  traces: number;
  of: number;
  share: number;
}

/** `new-path`: a trace showed an AS path other than the usual, new to the window; `new-usual`: the usual changed. */
export const ROUTE_CHANGE_KINDS = ['new-path', 'new-usual'] as const;
export type RouteChangeKind = (typeof ROUTE_CHANGE_KINDS)[number];

export interface RouteChangePathItem {
  asns: number[];
  countries: string[];
  traces: number;
  of: number;
  share: number;
  leftHome: boolean;
}

/** GET /api/v1/route-changes: a pair's AS path changed, with the usual path before and the path after. */
export interface RouteChangeItem {
  id: number;
  kind: RouteChangeKind;
  subject: string;
  agentId: string | null;
  target: string;
  at: string;
  traceId: number;
  before: RouteChangePathItem;
  after: RouteChangePathItem;
  leftHome: boolean;
}

/**
 * GET /api/v1/measurements/{taskId} (issue 14): where a requested measurement is. `queued`: waiting for the
 * agent's limits; `sent`: issued, not answered yet; `expired`: its window passed unanswered (or the agent left
 * first); `answered`: a result was accepted, no trace stored from it (yet, or it did not parse); `stored`: its
 * trace is stored (`trace`, the same JSON as GET /api/v1/traces/{id}).
 */
export const MEASUREMENT_STATES = ['queued', 'sent', 'expired', 'answered', 'stored'] as const;
export type MeasurementState = (typeof MEASUREMENT_STATES)[number];

export interface MeasurementItem {
  taskId: string;
  agentId: string;
  target: string;
  state: MeasurementState;
  /** When it was issued to the agent; null while queued. */
  issuedAt: string | null;
  deadline: string | null;
  answeredAt: string | null;
  resultId: string | null;
  traceId: number | null;
  trace: TraceDetail | null;
}
