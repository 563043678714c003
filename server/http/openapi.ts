import { Hono } from 'hono';
import { LOCATION_PRECISIONS } from '../../protocol/annotated.ts';
import { EVENTS_API, STORED_EVENT_TYPES } from '../../protocol/events-api.ts';
import {
  DELIVERY_STATUSES,
  INCIDENT_EVENT_KINDS,
  INCIDENT_STATES,
  LOCATION_STATUSES,
  MEASUREMENT_STATES,
  ROUTE_CHANGE_KINDS,
  TRACE_ORIGINS,
} from '../../protocol/history-api.ts';
import {
  LOCATION_CORRECTIONS_API,
  PLACEMENT_CHANGE_KINDS,
  PLACEMENT_CHANGE_STATES,
} from '../../protocol/location-corrections.ts';
import { LOCATION_REPORT_PATH } from '../../protocol/locations-api.ts';
import { MAINTENANCE_ITEM_PATH, MAINTENANCE_PATH } from '../../protocol/maintenance-api.ts';
import { DRAWN_STATUSES, MAP_API, TIMELINE_BUCKETS } from '../../protocol/map-api.ts';
import type { FILTER_KEYS } from '../../protocol/map-filter.ts';
import { PROBE_METHODS, TRACE_TOOLS } from '../../protocol/trace.ts';
import { CONFIDENCES, HOP_STATUSES, VERDICT_KINDS } from '../../protocol/verdict.ts';
import { AGENT_VERSION } from '../../protocol/version.ts';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  CANONICALIZATION,
  SIGNATURE_ALGORITHM,
} from '../evidence/bundle-document.ts';
import { EXPORT_FORMATS } from '../export/formats.ts';
import { type ParamSpec, ROUTE_PARAMS } from '../history/param-specs.ts';
import { ROUTE_CHANGE_PARAMS } from '../history/route-change-filter.ts';
import { API_ERROR_CODES } from './error-response.ts';
import { MEASUREMENT_PATH, TASK_ID_PATTERN } from './measurement-status.ts';
import { ANALYZE_PATH } from './routes-analyze.ts';
import { EVIDENCE_PATHS } from './routes-evidence.ts';
import { HISTORY_PATHS } from './routes-history.ts';
import { LOCATION_REPORT_PARAMS } from './routes-locations.ts';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './routes-map.ts';

/**
 * The OpenAPI 3.1 description of the coordinator's HTTP API, served at /api/v1/openapi.json. The history
 * routes' query parameters come from the same specs the routes validate with; a test walks this document
 * and the app's routing table and fails when either has a route the other lacks.
 */
export const OPENAPI_PATH = '/api/v1/openapi.json';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const strOrNull: Schema = { type: ['string', 'null'] };
const int: Schema = { type: 'integer' };
const intOrNull: Schema = { type: ['integer', 'null'] };
const numOrNull: Schema = { type: ['number', 'null'] };
const time: Schema = { type: 'string', format: 'date-time' };
const timeOrNull: Schema = { type: ['string', 'null'], format: 'date-time' };
const strings: Schema = { type: 'array', items: str };
const ints: Schema = { type: 'array', items: int };
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
  ...extra,
});
const page = (list: string, item: string): Schema =>
  obj({
    [list]: { type: 'array', items: ref(item) },
    nextCursor: { ...strOrNull, description: 'null on the last page' },
  });

const traceItem = {
  id: int,
  origin: { type: 'string', enum: TRACE_ORIGINS },
  agentId: strOrNull,
  resultId: strOrNull,
  sourceIp: strOrNull,
  destinationIp: strOrNull,
  destinationName: strOrNull,
  tool: { type: 'string', enum: TRACE_TOOLS },
  method: { type: 'string', enum: PROBE_METHODS },
  ipVersion: { type: 'integer', enum: [4, 6] },
  startedAt: time,
  verdict: { type: 'string', enum: VERDICT_KINDS },
  confidence: { type: ['string', 'null'], enum: [...CONFIDENCES, null] },
  countries: strings,
  foreignCountries: strings,
  foreignAsns: ints,
  probeId: { ...intOrNull, description: 'the RIPE Atlas probe of an imported trace' },
  late: {
    type: 'boolean',
    description: 'arrived long after it ended (serve --late-after); judged like any other',
  },
  extraKm: numOrNull,
  incidentId: intOrNull,
  vantage: { type: ['string', 'null'], enum: [...LOCATION_STATUSES, null] },
};

const foreignHop = obj({
  ttl: int,
  ip: str,
  country: str,
  asn: intOrNull,
  org: strOrNull,
  city: strOrNull,
  lat: { type: 'number' },
  lon: { type: 'number' },
  precision: { type: 'string', enum: LOCATION_PRECISIONS },
  rttMs: numOrNull,
  minRttMs: numOrNull,
  confirmed: { type: 'boolean' },
});

const incidentItem = {
  id: int,
  state: { type: 'string', enum: INCIDENT_STATES },
  subject: { ...str, description: 'agent:<id>, region:<lat>,<lon> (imports) or source:<prefix>' },
  agentId: strOrNull,
  destinationPrefix: str,
  countries: strings,
  asns: ints,
  firstSeen: time,
  lastSeen: time,
  closedAt: timeOrNull,
  lastClearAt: timeOrNull,
  traceCount: int,
  confirmedCount: int,
  firstTraceId: int,
  lastTraceId: int,
  corroborated: {
    type: 'boolean',
    description:
      'false: a "single witness" incident; no incident.opened alert is sent until it is corroborated',
  },
  corroboratedAt: timeOrNull,
  witnesses: {
    ...int,
    description: 'witnesses that count (at most --max-witnesses-per-owner per owner, ASN, city)',
  },
  witnessList: { type: 'array', items: ref('WitnessItem') },
};

const locationStatus: Schema = { type: 'string', enum: LOCATION_STATUSES };

const agentLocation = {
  status: locationStatus,
  reason: { ...str, description: 'one sentence with the numbers' },
  radiusKm: numOrNull,
  evidence: {
    type: 'array',
    items: obj({
      kind: { type: 'string', enum: ['first-hop', 'mesh', 'landmark'] },
      subject: str,
      label: str,
      position: obj({ lat: { type: 'number' }, lon: { type: 'number' } }),
      rttMs: { type: 'number' },
      boundKm: { type: 'number' },
      distanceKm: { type: 'number' },
      consistent: { type: 'boolean' },
      strength: { type: 'string', enum: ['physics', 'database'] },
      counted: { type: 'boolean' },
    }),
  },
  override: { oneOf: [{ type: 'null' }, obj({ by: str, note: str, at: time })] },
  evaluatedAt: timeOrNull,
};

/** protocol/verdict.ts HopReading: one TTL's reading in the hop table. */
const hopReading = {
  ttl: int,
  ip: strOrNull,
  status: { type: 'string', enum: HOP_STATUSES },
  country: strOrNull,
  rttMs: numOrNull,
  minRttMs: { ...numOrNull, description: 'the RTT its location needs from the prober' },
  name: strOrNull,
  asn: intOrNull,
  org: strOrNull,
  city: strOrNull,
  lat: numOrNull,
  lon: numOrNull,
  precision: { type: ['string', 'null'], enum: [...LOCATION_PRECISIONS, null] },
  database: strOrNull,
};
const hopPlacement: Schema = {
  type: 'object',
  description: 'which claim placed the hop and what lost (protocol/verdict.ts HopPlacement)',
};

const baselinePath = obj({
  countries: strings,
  asns: { type: ['array', 'null'], items: int },
  since: time,
  lastSeen: time,
  traces: int,
});

/** A path with its share of the baseline's window (issue 14). */
const share = { of: int, share: { type: 'number', minimum: 0, maximum: 1 } };
const usualPath = obj({
  countries: strings,
  asns: { type: ['array', 'null'], items: int },
  since: time,
  lastSeen: time,
  traces: int,
  ...share,
  leftHome: { type: 'boolean' },
});
const usualRouterPath = obj({
  hops: { type: 'array', items: strOrNull },
  since: time,
  lastSeen: time,
  traces: int,
  ...share,
});
const routeChangePath = obj({
  asns: ints,
  countries: strings,
  traces: int,
  ...share,
  leftHome: { type: 'boolean' },
});

const SCHEMAS: Record<string, Schema> = {
  Error: obj({
    error: obj(
      { code: str, message: str },
      {
        properties: {
          code: { type: 'string', enum: API_ERROR_CODES },
          message: str,
          parameter: { ...str, description: 'BAD_PARAMETER: the query, path or body parameter at fault' },
        },
      },
    ),
  }),
  TraceItem: obj(traceItem),
  TracePage: page('traces', 'TraceItem'),
  TraceDetail: obj({
    ...traceItem,
    hopsPurged: { type: 'boolean', description: 'retention deleted the raw hops; the verdict is kept' },
    hops: {
      type: 'array',
      items: obj({
        ttl: int,
        ip: strOrNull,
        rttMs: numOrNull,
        replies: int,
        status: strOrNull,
        country: strOrNull,
        asn: intOrNull,
      }),
    },
    verdictDetail: { type: 'object', description: 'the full verdict (protocol/verdict.ts Verdict)' },
  }),
  ForeignHop: foreignHop,
  DetourItem: obj({
    ...traceItem,
    agentName: strOrNull,
    sourcePosition: { oneOf: [{ type: 'null' }, obj({ lat: { type: 'number' }, lon: { type: 'number' } })] },
    foreignHops: { type: 'array', items: ref('ForeignHop') },
    reason: str,
    hops: { type: 'array', items: ref('HopReading'), description: "every TTL's reading, in TTL order" },
  }),
  DetourPage: page('detours', 'DetourItem'),
  // `placement` is optional: present when more than the database was weighed.
  HopReading: obj(hopReading, { properties: { ...hopReading, placement: hopPlacement } }),
  EvidenceBundle: obj({
    format: { type: 'string', enum: [BUNDLE_FORMAT] },
    version: { type: 'integer', enum: [BUNDLE_VERSION] },
    document: {
      type: 'object',
      description:
        'the signed evidence document (server/evidence/bundle-document.ts EvidenceDocument): per trace the raw ' +
        'output, every reply, the claims, placements and physics per hop and the verdict; the vantage points, ' +
        "the databases (name, build date, SHA-256), the software version, the signer, and the HTML report's SHA-256",
    },
    signature: obj({
      algorithm: { type: 'string', enum: [SIGNATURE_ALGORITHM] },
      canonicalization: { type: 'string', enum: [CANONICALIZATION] },
      value: { ...str, description: 'base64 Ed25519 signature of the canonical document' },
    }),
    publicKey: { ...str, description: "the coordinator's key, ed25519:<base64url>" },
    html: { ...str, description: 'the self-contained HTML report (no script, static SVG map)' },
  }),
  IncidentItem: obj(incidentItem),
  WitnessItem: obj({
    subject: str,
    agentId: strOrNull,
    owner: strOrNull,
    addressPrefix: strOrNull,
    asn: intOrNull,
    city: strOrNull,
    locationStatus,
    firstSeen: time,
    lastSeen: time,
    traces: int,
  }),
  AgentLocation: obj({ agentId: str, ...agentLocation }),
  IncidentPage: page('incidents', 'IncidentItem'),
  BaselineItem: obj({
    id: int,
    subject: str,
    agentId: strOrNull,
    target: str,
    normal: {
      description: 'the usual AS-level path: the most frequent over the window of recent judged traces',
      oneOf: [{ type: 'null' }, usualPath],
    },
    routers: {
      description: 'the usual router-level path (first responder per TTL, null for no reply)',
      oneOf: [{ type: 'null' }, usualRouterPath],
    },
    latest: baselinePath,
    changed: { type: 'boolean' },
  }),
  RouteChangeItem: obj({
    id: int,
    kind: { type: 'string', enum: [...ROUTE_CHANGE_KINDS] },
    subject: str,
    agentId: strOrNull,
    target: str,
    at: time,
    traceId: int,
    before: routeChangePath,
    after: routeChangePath,
    leftHome: { type: 'boolean' },
  }),
  RouteChangePage: page('routeChanges', 'RouteChangeItem'),
  MeasurementItem: obj({
    taskId: str,
    agentId: str,
    target: str,
    state: { type: 'string', enum: [...MEASUREMENT_STATES] },
    issuedAt: timeOrNull,
    deadline: timeOrNull,
    answeredAt: timeOrNull,
    resultId: strOrNull,
    traceId: intOrNull,
    trace: { oneOf: [{ type: 'null' }, ref('TraceDetail')] },
  }),
  BaselinePage: page('baselines', 'BaselineItem'),
  IncidentDetail: obj({ ...incidentItem, baselines: { type: 'array', items: ref('BaselineItem') } }),
  StatsReport: obj({
    since: time,
    until: time,
    days: {
      type: 'array',
      items: obj({
        day: { type: 'string', format: 'date' },
        traces: int,
        judged: int,
        detours: int,
        confirmed: int,
        share: { type: 'number' },
      }),
    },
  }),
  DeliveryItem: obj({
    id: int,
    event: { type: 'string', enum: INCIDENT_EVENT_KINDS },
    incidentId: intOrNull,
    url: { ...str, description: 'scheme, host and a hash: the path may hold a credential' },
    status: { type: 'string', enum: DELIVERY_STATUSES },
    attempts: int,
    httpStatus: intOrNull,
    rule: {
      ...strOrNull,
      description: 'the webhook rule that let it through; null without rules or when not sent',
    },
    lastError: { ...strOrNull, description: 'why the last attempt failed, or why it was not sent (dropped)' },
    createdAt: time,
    updatedAt: time,
  }),
  DeliveryPage: page('deliveries', 'DeliveryItem'),
  MaintenanceItem: obj({
    id: int,
    agentId: strOrNull,
    agentName: strOrNull,
    target: { ...strOrNull, description: 'ADDRESS/LEN' },
    startsAt: time,
    endsAt: time,
    reason: str,
    createdAt: time,
    active: { type: 'boolean', description: 'it runs now' },
  }),
};

/** The map's shapes (protocol/map-api.ts), prefixed Map: its detours are not the history's DetourItem. */
const precision: Schema = { type: 'string', enum: LOCATION_PRECISIONS };
const mapEndpoint = obj({ ip: strOrNull, country: strOrNull, lat: numOrNull, lon: numOrNull });
const mapSummary = {
  id: int,
  startedAt: time,
  agent: { oneOf: [{ type: 'null' }, obj({ id: str, name: str })] },
  target: str,
  source: mapEndpoint,
  destination: mapEndpoint,
  confidence: { type: 'string', enum: CONFIDENCES },
  countries: strings,
  foreignAsns: ints,
  path: { type: 'array', items: ref('MapPathHop') },
  vantage: { type: ['string', 'null'], enum: [...LOCATION_STATUSES, null] },
};
const mapHop = {
  ttl: int,
  ip: strOrNull,
  name: strOrNull,
  asn: intOrNull,
  org: strOrNull,
  country: strOrNull,
  city: strOrNull,
  lat: numOrNull,
  lon: numOrNull,
  precision: { type: ['string', 'null'], enum: [...LOCATION_PRECISIONS, null] },
  locationSource: strOrNull,
  rttMs: numOrNull,
  minRttMs: numOrNull,
  status: { type: 'string', enum: HOP_STATUSES },
};

/** With an `agent` filter only: whom it names (empty when nobody). */
const MAP_AGENTS: Schema = {
  type: 'array',
  items: ref('MapAgent'),
  description: 'with an agent filter: the agents it names by id or name',
};

/** GET /api/v1/map/routes: the compact form (RouteColumns in protocol/map-api.ts, issue 21). */
const MAP_ROUTE_COLUMNS: Record<string, Schema> = {
  total: { ...int, description: 'how many detours match' },
  grouped: { ...int, description: 'how many of them the routes hold (all, unless past the cap)' },
  countries: { ...strings, description: 'the country codes the columns index' },
  count: ints,
  confirmed: ints,
  ids: { type: 'array', items: ints, description: 'per route: its detours, newest first' },
  firstSeen: { ...ints, description: 'epoch milliseconds' },
  lastSeen: { ...ints, description: 'epoch milliseconds' },
  id: { ...ints, description: 'per route: the detour drawn for it' },
  ends: {
    type: 'array',
    items: { type: 'array', items: numOrNull },
    description: 'per route: source lat, lon, destination lat, lon',
  },
  sourceCountry: { ...ints, description: 'index into countries, -1 when unknown' },
  via: { type: 'array', items: ints, description: 'per route: countries in path order (indexes)' },
  path: {
    type: 'array',
    items: { type: 'array', items: { type: 'number' } },
    description: 'per route, five per hop: ttl, status index, precision (0 city, 1 country), lat, lon',
  },
};

const MAP_SCHEMAS: Record<string, Schema> = {
  MapConfig: obj({ tileUrl: strOrNull, tileAttribution: strOrNull, homeCountries: strings }),
  MapAgent: obj({ id: str, name: str }),
  MapRoutePage: obj(MAP_ROUTE_COLUMNS, {
    properties: { ...MAP_ROUTE_COLUMNS, agents: MAP_AGENTS },
    description: 'one array per field (route i at index i of each), most traces first (RouteColumns)',
  }),
  MapTimeline: obj({
    bucket: { type: 'string', enum: TIMELINE_BUCKETS },
    bins: {
      type: 'array',
      items: obj({
        start: time,
        byCountry: {
          type: 'object',
          additionalProperties: int,
          description: 'first foreign country -> detours',
        },
        total: int,
      }),
    },
  }),
  MapPathHop: obj({
    ttl: int,
    status: { type: 'string', enum: DRAWN_STATUSES },
    lat: { type: 'number' },
    lon: { type: 'number' },
    precision,
  }),
  MapHop: {
    ...obj(mapHop),
    properties: {
      ...mapHop,
      claimed: {
        ...obj({ country: strOrNull, lat: { type: 'number' }, lon: { type: 'number' } }),
        description: 'refuted hops only: where the database put them',
      },
    },
  },
  MapDetourSummary: obj(mapSummary),
  MapDetourDetail: obj({ ...mapSummary, hops: { type: 'array', items: ref('MapHop') } }),
  MapDetourPage: {
    ...obj({
      items: { type: 'array', items: ref('MapDetourSummary') },
      total: { ...int, description: 'how many detours match, regardless of limit' },
    }),
    properties: {
      items: { type: 'array', items: ref('MapDetourSummary') },
      total: { ...int, description: 'how many detours match, regardless of limit' },
      agents: MAP_AGENTS,
    },
  },
};

/** GET /api/v1/map/detours's query, as routes-map.ts parseDetourQuery reads it: the filter, then the size. */
const MAP_DETOUR_PARAMS: Record<
  (typeof FILTER_KEYS)[number] | 'limit',
  { description: string; schema: Schema }
> = {
  since: {
    description: 'Started at or after this ISO 8601 time (2024-05-01, 2024-05-01T12:00:00Z).',
    schema: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}' },
  },
  until: {
    description: 'Started before this ISO 8601 time.',
    schema: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}' },
  },
  country: {
    description: 'The path went through this country (ISO 3166-1 alpha-2, any case).',
    schema: { type: 'string', pattern: '^[A-Za-z]{2}$' },
  },
  asn: {
    description: 'A foreign hop belongs to this AS (4134 or AS4134).',
    schema: { type: 'string', pattern: '^([Aa][Ss])?[0-9]{1,10}$' },
  },
  agent: {
    description: "The measuring agent's id or name (the answer's `agents` lists whom it names).",
    schema: { type: 'string', minLength: 1, maxLength: 128 },
  },
  confidence: {
    description: 'The verdict held with this confidence.',
    schema: { type: 'string', enum: CONFIDENCES },
  },
  incident: {
    description: 'The detour is evidence of this incident (its id).',
    schema: { type: 'integer', minimum: 1 },
  },
  limit: {
    description: `Most detours to return, newest first; more than ${MAX_PAGE_LIMIT} are capped to ${MAX_PAGE_LIMIT}.`,
    schema: { type: 'integer', minimum: 1, default: DEFAULT_PAGE_LIMIT },
  },
};

function queryParams(specs: readonly ParamSpec[]): Schema[] {
  return specs.map((p) => ({
    name: p.name,
    in: 'query',
    required: false,
    description: p.description,
    schema: p.schema,
  }));
}

const idParam = (what: string): Schema => ({
  name: 'id',
  in: 'path',
  required: true,
  description: `The ${what}'s id.`,
  schema: { type: 'integer', minimum: 1 },
});

const json = (schema: Schema, description: string): Schema => ({
  description,
  content: { 'application/json': { schema } },
});
const ERRORS = {
  '400': json(ref('Error'), 'BAD_PARAMETER: a parameter does not fit; `error.parameter` names it.'),
  '500': json(ref('Error'), 'INTERNAL: a fault of the coordinator; its log has the details.'),
};
const NOT_FOUND = { '404': json(ref('Error'), 'NOT_FOUND: no such item.') };

function get(summary: string, parameters: Schema[], ok: Schema, more: Record<string, Schema> = {}): Schema {
  return { get: { summary, parameters, responses: { '200': ok, ...ERRORS, ...more } } };
}

/** POST /api/v1/analyze (routes-analyze.ts): a paste parsed and judged; stored only when an operator saves it. */
function analyzePaths(): Record<string, Schema> {
  return {
    [ANALYZE_PATH]: {
      post: {
        summary:
          'Parse and judge a pasted traceroute; nothing is stored unless an operator saves it (?save=1)',
        parameters: [
          {
            name: 'save',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: ['1', '0', 'true', 'false'] },
            description:
              'Store the judged traces as origin `paste` (needs an operator key); the same text and source location saved again store nothing new and answer the same ids.',
          },
        ],
        requestBody: {
          content: {
            'application/json': {
              schema: obj({
                text: { type: 'string' },
                format: { type: 'string', default: 'auto' },
                sourceLocation: { type: ['string', 'null'], description: '"LAT,LON" of the prober' },
              }),
            },
            'text/plain': { schema: { type: 'string' } },
          },
        },
        responses: {
          '200': anyJson(
            '{stored, storedTraceIds?, newlyStored?, needsSourceLocation, traces: [MapDetourDetail + pasted, verdict, warnings]}',
          ),
          ...ERRORS,
          '400': json(
            ref('Error'),
            "BAD_REQUEST, or the parser's code (FORMAT_UNKNOWN, INPUT_EMPTY, INPUT_TOO_LARGE, PARSE_FAILED, TRACE_UNSUPPORTED, USAGE).",
          ),
          '401': json(ref('Error'), 'AUTH_REQUIRED: ?save=1 without an operator key (or an unknown one).'),
          '403': json(ref('Error'), 'FORBIDDEN: ?save=1 with an agent token, not an operator key.'),
          '413': json(ref('Error'), 'PAYLOAD_TOO_LARGE: the body is larger than 1 MiB.'),
          '429': json(ref('Error'), 'RATE_LIMITED: one paste a second, five at once.'),
          '503': json(ref('Error'), 'UNAVAILABLE: no analyzer, or (saving) no store.'),
        },
      },
    },
  };
}

/** `/api/v1/traces/:id` -> `/api/v1/traces/{id}`. */
export const openApiPath = (honoPath: string): string => honoPath.replace(/:([A-Za-z]+)/g, '{$1}');

function historyPaths(): Record<string, Schema> {
  const P = HISTORY_PATHS;
  const R = ROUTE_PARAMS;
  return {
    [P.traces]: get(
      'Traces, newest first, filtered',
      queryParams(R.traces),
      json(ref('TracePage'), 'A page of traces.'),
    ),
    [openApiPath(P.trace)]: get(
      'One trace with its hops and full verdict',
      [idParam('trace')],
      json(ref('TraceDetail'), 'The trace.'),
      NOT_FOUND,
    ),
    [P.detours]: get(
      'Detours, newest first, filtered',
      queryParams(R.detours),
      json(ref('DetourPage'), 'A page of detours.'),
    ),
    [P.detoursExport]: get(
      'Every matching detour, streamed (oldest first)',
      queryParams(R.detoursExport),
      {
        description: `The export, in the requested format (${EXPORT_FORMATS.join(', ')}).`,
        content: {
          'text/csv': { schema: str },
          'application/json': { schema: { type: 'array', items: ref('DetourItem') } },
          'application/x-ndjson': { schema: str },
          'application/geo+json': {
            schema: { type: 'object', description: 'a FeatureCollection of detour paths' },
          },
        },
      },
      {
        '503': json(
          ref('Error'),
          'UNAVAILABLE: too many exports are running; retry after Retry-After seconds.',
        ),
      },
    ),
    [P.incidents]: get(
      'Incidents, newest first, filtered',
      queryParams(R.incidents),
      json(ref('IncidentPage'), 'A page of incidents.'),
    ),
    [openApiPath(P.incident)]: get(
      'One incident with the baselines of its vantage point and prefix',
      [idParam('incident')],
      json(ref('IncidentDetail'), 'The incident.'),
      NOT_FOUND,
    ),
    [openApiPath(P.incidentTraces)]: get(
      "An incident's evidence: its traces, newest first",
      [idParam('incident'), ...queryParams(R.incidentTraces)],
      json(ref('TracePage'), 'A page of traces.'),
      NOT_FOUND,
    ),
    [P.baselines]: get(
      'Usual (with its share of the window) and latest paths per (vantage point, target)',
      queryParams(R.baselines),
      json(ref('BaselinePage'), 'A page of baselines.'),
    ),
    [P.stats]: get(
      'Per UTC day: traces, judged, detours, share',
      queryParams(R.stats),
      json(ref('StatsReport'), 'Daily counts.'),
    ),
    [P.routeChanges]: get(
      "Route changes: a pair's AS path changed (new path, or a new usual one), newest first",
      queryParams(ROUTE_CHANGE_PARAMS),
      json(ref('RouteChangePage'), 'A page of route changes.'),
    ),
    [P.deliveries]: get(
      'Webhook deliveries, newest first',
      queryParams(R.deliveries),
      json(ref('DeliveryPage'), 'A page of deliveries.'),
    ),
  };
}

/** Signed evidence bundles (server/http/routes-evidence.ts). */
function evidencePaths(): Record<string, Schema> {
  const bundle = (what: string): Schema =>
    get(
      `The signed evidence bundle of one ${what} (a .dwbundle.json file; \`detourwatch bundle verify\` checks it)`,
      [idParam(what)],
      json(ref('EvidenceBundle'), 'The bundle, as an attachment.'),
      {
        ...NOT_FOUND,
        '503': json(
          ref('Error'),
          'UNAVAILABLE: too many exports are running; retry after Retry-After seconds.',
        ),
      },
    );
  return {
    [openApiPath(EVIDENCE_PATHS.incidentBundle)]: bundle('incident'),
    [openApiPath(EVIDENCE_PATHS.traceBundle)]: bundle('trace'),
  };
}

const anyJson = (description: string): Schema => json({ type: 'object' }, description);

/** Router locations (server/http/routes-locations.ts; issue 15). */
function locationsPaths(): Record<string, Schema> {
  const claims = {
    type: 'array',
    items: {
      type: 'object',
      description: 'protocol/annotated.ts PlacementClaim: source, rule, token, place, status, why',
    },
  };
  const report = obj({
    ip: str,
    hostname: strOrNull,
    asn: { type: ['object', 'null'] },
    database: { type: ['object', 'null'], description: "the City database's answer (GeoLocation)" },
    hostnameReadings: {
      type: 'array',
      items: obj({ rule: str, token: str, places: { type: 'array' }, dropped: strOrNull }),
    },
    correction: { type: ['object', 'null'], description: "an operator's correction, when there is one" },
    constraints: {
      type: 'array',
      description: "each verified agent's lowest RTT to the address and the disc it bounds the router to",
      items: obj({
        agentId: str,
        agentName: str,
        vantage: str,
        lat: { type: 'number' },
        lon: { type: 'number' },
        minRttMs: { type: 'number' },
        radiusKm: { type: 'number' },
        at: time,
      }),
    },
    region: obj({
      discs: int,
      tightestKm: numOrNull,
      tightestVantage: strOrNull,
      atHome: { type: ['boolean', 'null'] },
      feasibleCities: intOrNull,
      examples: strings,
      abroad: strOrNull,
    }),
    decision: obj({ source: str, location: { type: ['object', 'null'] }, reason: str, claims }),
    homeCountries: strings,
    kmPerMs: { type: 'number' },
  });
  return {
    [openApiPath(LOCATION_REPORT_PATH)]: get(
      'Where one router address is: every claim, the constraints per verified vantage, the region, the decision',
      [{ name: 'ip', in: 'path', required: true, schema: str }, ...queryParams(LOCATION_REPORT_PARAMS)],
      json(report, 'The location report (protocol/locations-api.ts LocationReport).'),
      {
        '503': json(ref('Error'), 'UNAVAILABLE: this coordinator has no analyzer for location reports.'),
      },
    ),
  };
}

/**
 * Operators' corrections of router locations and the placement-change log (routes-location-corrections.ts;
 * issue 15), merged into the location paths (PUT and DELETE share the report's `{ip}`).
 */
function withCorrectionPaths(paths: Record<string, Schema>): Record<string, Schema> {
  const place = {
    lat: { type: 'number' },
    lon: { type: 'number' },
    country: str,
    region: strOrNull,
    city: strOrNull,
  };
  const correction = obj({ ip: str, ...place, note: str, by: str, at: time });
  const side = obj({ verdict: str, confidence: strOrNull, foreignCountries: strings });
  const change = obj({
    id: int,
    ip: str,
    kind: { type: 'string', enum: PLACEMENT_CHANGE_KINDS },
    by: str,
    at: time,
    before: { ...obj(place), type: ['object', 'null'] },
    after: { ...obj(place), type: ['object', 'null'] },
    note: strOrNull,
    state: { type: 'string', enum: PLACEMENT_CHANGE_STATES },
    appliedAt: timeOrNull,
    windowFrom: timeOrNull,
    tracesRejudged: int,
    verdictsChanged: int,
    changes: {
      type: 'array',
      items: obj({ traceId: int, from: side, to: side, leftIncident: intOrNull, incident: intOrNull }),
    },
    error: strOrNull,
  });
  const operatorOnly = {
    '401': json(ref('Error'), 'AUTH_REQUIRED: no or an unknown operator key.'),
    '403': json(ref('Error'), 'FORBIDDEN: an agent token, not an operator key.'),
    '503': json(ref('Error'), 'UNAVAILABLE: this coordinator takes no corrections.'),
  };
  const ipParam = { name: 'ip', in: 'path', required: true, schema: str };
  const one = openApiPath(LOCATION_CORRECTIONS_API.one);
  const imported = obj({
    lines: {
      type: 'array',
      items: obj({ line: int, ip: strOrNull, accepted: { type: 'boolean' }, message: str }),
    },
    applied: { type: 'boolean' },
    changes: { type: 'array', items: change },
  });
  return {
    ...paths,
    [LOCATION_CORRECTIONS_API.list]: {
      get: {
        summary: "Every operator's correction of a router location (format=geofeed: the RFC 8805-style CSV)",
        parameters: [
          {
            name: 'format',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: ['json', 'geofeed'] },
          },
        ],
        responses: {
          '200': {
            description:
              '{corrections: [...]}, or the CSV (ip_prefix,alpha2code,region,city,postal_code,lat,lon,note).',
            content: {
              'application/json': { schema: obj({ corrections: { type: 'array', items: correction } }) },
              'text/csv': { schema: str },
            },
          },
          ...ERRORS,
        },
      },
      post: {
        summary:
          'Imports a geofeed CSV: every line tested against the RTTs; a refused line keeps the file out unless acceptValid',
        parameters: [{ name: 'acceptValid', in: 'query', required: false, schema: { type: 'boolean' } }],
        requestBody: { required: true, content: { 'text/csv': { schema: str } } },
        responses: {
          '200': json(imported, 'Each line accepted or refused (with its number), and the changes stored.'),
          ...ERRORS,
          ...operatorOnly,
          '413': json(ref('Error'), 'PAYLOAD_TOO_LARGE: the file is larger than 1 MB.'),
        },
      },
    },
    [one]: {
      ...(paths[one] ?? {}),
      put: {
        summary:
          "An operator's correction: accepted only if every stored RTT allows it; the recent verdicts through the address are judged again",
        parameters: [ipParam],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                ...obj({ lat: { type: 'number' }, lon: { type: 'number' }, note: str }),
                properties: {
                  lat: { type: 'number' },
                  lon: { type: 'number' },
                  note: str,
                  country: str,
                  city: str,
                },
              },
            },
          },
        },
        responses: {
          '200': json(
            change,
            'The change record, re-judged: traces judged again, verdicts changed, incidents left or joined.',
          ),
          ...ERRORS,
          ...operatorOnly,
          '422': json(
            ref('Error'),
            'CORRECTION_REFUTED: an RTT rules the point out; the message has the numbers.',
          ),
        },
      },
      delete: {
        summary: 'Removes a correction; the recent verdicts through the address are judged again',
        parameters: [ipParam],
        responses: {
          '200': json(change, 'The change record, re-judged.'),
          ...ERRORS,
          ...operatorOnly,
          ...NOT_FOUND,
        },
      },
    },
    [LOCATION_CORRECTIONS_API.changes]: get(
      'The placement-change log, newest first: old and new placement, traces judged again, verdicts changed',
      [
        { name: 'ip', in: 'query', required: false, schema: str },
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: 500 },
        },
      ],
      json(obj({ changes: { type: 'array', items: change } }), 'The changes.'),
    ),
  };
}

/** The map's filter parameters (the detour list's, without its size). */
const mapFilterParams = (): Schema[] =>
  Object.entries(MAP_DETOUR_PARAMS)
    .filter(([name]) => name !== 'limit')
    .map(([name, p]) => ({ name, in: 'query', required: false, ...p }));

/** The map page's API (server/http/routes-map.ts). */
function mapPaths(): Record<string, Schema> {
  return {
    [MAP_API.config]: {
      get: {
        summary: "The map page's configuration",
        responses: { '200': json(ref('MapConfig'), 'The configuration.') },
      },
    },
    [MAP_API.detours]: get(
      'Detours flattened for the map, newest first, filtered',
      Object.entries(MAP_DETOUR_PARAMS).map(([name, p]) => ({ name, in: 'query', required: false, ...p })),
      json(ref('MapDetourPage'), 'The matching detours (at most `limit`) and how many match.'),
    ),
    [MAP_API.routes]: get(
      'Every matching detour, grouped by route (drawn positions), most traces first',
      mapFilterParams(),
      json(ref('MapRoutePage'), 'The routes with their counts and detour ids.'),
    ),
    [MAP_API.timeline]: get(
      'Matching detours per hour or day (UTC), by first foreign country',
      [
        ...mapFilterParams(),
        {
          name: 'bucket',
          in: 'query',
          required: false,
          description: 'hour or day; by default hours for a span of up to three days, else days.',
          schema: { type: 'string', enum: TIMELINE_BUCKETS },
        },
      ],
      json(ref('MapTimeline'), 'The buckets that hold a detour, oldest first.'),
    ),
    [`${MAP_API.detours}/{id}`]: get(
      "One detour for the map, with every TTL's reading",
      [idParam('detour')],
      json(ref('MapDetourDetail'), 'The detour.'),
      NOT_FOUND,
    ),
  };
}

/** The replayable event stream (issue 12; protocol/events-api.ts). */
function eventsPaths(): Record<string, Schema> {
  return {
    [EVENTS_API.stream]: {
      get: {
        summary:
          'Stored events as Server-Sent Events, replayed after Last-Event-ID (or `after`), then live: `id:` is ' +
          'the seq, `event:` the type, `data:` a StreamEvent. Control events without an id: `hello`, ' +
          '`events.lost` (retention deleted events the client asked for), `dropped` (the client fell behind)',
        parameters: [
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'Resume after this seq (EventSource sends it on reconnect); wins over `after`.',
            schema: int,
          },
          {
            name: 'after',
            in: 'query',
            required: false,
            description: 'Resume after this seq; absent (and no Last-Event-ID): from now on.',
            schema: int,
          },
          {
            name: 'types',
            in: 'query',
            required: false,
            description: `Comma-separated types to send, of ${STORED_EVENT_TYPES.join(', ')}; absent: all.`,
            schema: str,
          },
        ],
        responses: {
          '200': { description: 'text/event-stream', content: { 'text/event-stream': { schema: str } } },
          '400': ERRORS['400'],
        },
      },
    },
  };
}

/** The coordinator's other routes (health, agents, measurements), described more briefly. */
function coordinatorPaths(): Record<string, Schema> {
  return {
    '/healthz': {
      get: {
        summary: 'Liveness and counts',
        responses: {
          '200': anyJson('Healthy.'),
          '503': json(ref('Error'), 'UNAVAILABLE: the store fails; retry after Retry-After seconds.'),
        },
      },
    },
    '/api/v1/agents': {
      get: {
        summary: 'The agents (never a token or its hash), each with its `locationStatus`',
        responses: { '200': anyJson('{agents: [...]}') },
      },
    },
    '/api/v1/agents/{id}/location': {
      get: {
        summary:
          "An agent's location status with its evidence (other agents' positions rounded without an operator key)",
        parameters: [{ name: 'id', in: 'path', required: true, schema: str }],
        responses: { '200': json(ref('AgentLocation'), 'The status and evidence.'), ...NOT_FOUND },
      },
    },
    '/api/v1/agents/{id}/verify': {
      post: {
        summary:
          "An operator's override: the location is verified (recorded with the key, the time and the note)",
        parameters: [{ name: 'id', in: 'path', required: true, schema: str }],
        requestBody: { required: true, content: { 'application/json': { schema: obj({ note: str }) } } },
        responses: {
          '200': anyJson('{agentId, override: {by, note, at}}'),
          ...ERRORS,
          '400': json(
            ref('Error'),
            'BAD_PARAMETER (`note` missing, empty or over 1000 characters) or BAD_REQUEST.',
          ),
          '401': json(ref('Error'), 'AUTH_REQUIRED: no or an unknown operator key.'),
          '403': json(ref('Error'), 'FORBIDDEN: an agent token, not an operator key.'),
          ...NOT_FOUND,
        },
      },
    },
    [openApiPath(MEASUREMENT_PATH)]: get(
      "A requested measurement's state and, once stored, its trace",
      [
        {
          name: 'taskId',
          in: 'path',
          required: true,
          description: 'The task id POST /api/v1/measurements answered.',
          schema: { type: 'string', pattern: TASK_ID_PATTERN.source },
        },
      ],
      json(ref('MeasurementItem'), 'The measurement.'),
      NOT_FOUND,
    ),
    '/api/v1/measurements': {
      post: {
        summary: 'One measurement now: {agentId, target}',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: obj({ agentId: str, target: str }) } },
        },
        responses: {
          '202': anyJson('The task was sent.'),
          ...ERRORS,
          '400': json(
            ref('Error'),
            'BAD_PARAMETER (`agentId` or `target` missing or not a string, `error.parameter` names it), ' +
              'BAD_REQUEST (the body is not a JSON object) or TARGET_REFUSED (not an IP address or hostname).',
          ),
          ...NOT_FOUND,
          '409': json(ref('Error'), 'AGENT_NOT_CONNECTED: the agent is not connected to any coordinator.'),
          '413': json(ref('Error'), 'PAYLOAD_TOO_LARGE: the body is larger than 16 KB.'),
          '503': json(
            ref('Error'),
            'UNAVAILABLE: the agent is connected to another coordinator of this database, which did not answer ' +
              'the routed request in time (or cannot be reached from this store); retry after Retry-After seconds.',
          ),
        },
      },
    },
    [OPENAPI_PATH]: { get: { summary: 'This document', responses: { '200': anyJson('OpenAPI 3.1') } } },
    ...maintenancePaths(),
  };
}

/** Maintenance windows (server/http/routes-maintenance.ts, issue 14): operator key only. */
function maintenancePaths(): Record<string, Schema> {
  const operatorOnly = {
    '401': json(ref('Error'), 'AUTH_REQUIRED: no or an unknown operator key.'),
    '403': json(ref('Error'), 'FORBIDDEN: an agent token, not an operator key.'),
  };
  const item = ref('MaintenanceItem');
  return {
    [MAINTENANCE_PATH]: {
      get: {
        summary: 'Maintenance windows running or to come (all=true: ended ones too), earliest first',
        parameters: [
          { name: 'all', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] } },
        ],
        responses: {
          '200': json(obj({ windows: { type: 'array', items: item } }), 'The windows.'),
          ...ERRORS,
          ...operatorOnly,
        },
      },
      post: {
        summary:
          'A maintenance window: alerts of incidents seen by the agent, or to the target, inside it are not sent',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['reason'],
                properties: {
                  agent: { ...str, description: 'an agent id or name (or give target)' },
                  target: { ...str, description: 'an address or ADDRESS/LEN (or give agent)' },
                  from: { ...str, description: 'ISO 8601 (default now)' },
                  until: { ...str, description: 'ISO 8601 (or give for)' },
                  for: { ...str, description: 'a duration such as 2h (or give until)' },
                  reason: str,
                },
              },
            },
          },
        },
        responses: {
          '201': json(item, 'The stored window.'),
          ...ERRORS,
          '400': json(
            ref('Error'),
            'BAD_PARAMETER naming the field (an unknown agent too), or BAD_REQUEST (not a JSON object).',
          ),
          ...operatorOnly,
          '413': json(ref('Error'), 'PAYLOAD_TOO_LARGE: the body is larger than 4 KB.'),
        },
      },
    },
    [openApiPath(MAINTENANCE_ITEM_PATH)]: {
      delete: {
        summary: 'Removes a maintenance window',
        parameters: [{ name: 'id', in: 'path', required: true, schema: int }],
        responses: { '204': { description: 'Removed.' }, ...ERRORS, ...operatorOnly, ...NOT_FOUND },
      },
    },
  };
}

export function openApiDocument(): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'detourwatch coordinator API',
      version: AGENT_VERSION,
      description:
        'Traces, detour verdicts, incidents and exports of a detourwatch probe network. Lists are ordered by id, ' +
        'newest first, and paged with opaque cursors (`nextCursor`), stable while new data arrives. Every error ' +
        'is `{"error": {"code", "message", "parameter"?}}` (schema Error); unknown or malformed parameters are ' +
        'refused with 400 BAD_PARAMETER naming the parameter.',
    },
    paths: {
      ...coordinatorPaths(),
      ...mapPaths(),
      ...eventsPaths(),
      ...historyPaths(),
      ...evidencePaths(),
      ...analyzePaths(),
      ...withCorrectionPaths(locationsPaths()),
    },
    components: { schemas: { ...SCHEMAS, ...MAP_SCHEMAS } },
  };
}

export function openApiRoutes(): Hono {
  const app = new Hono();
  const document = openApiDocument();
  app.get(OPENAPI_PATH, (c) => c.json(document));
  return app;
}
