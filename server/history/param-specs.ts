import { ASN_PATTERN } from '../../protocol/values/asn.ts';
import { COUNTRY_PATTERN } from '../../protocol/values/country.ts';

/**
 * Every query parameter of the history API, described once: the routes validate against these lists and the
 * OpenAPI document is generated from them, so the two cannot drift apart.
 */
export interface ParamSchema {
  type: 'string' | 'integer';
  enum?: readonly string[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  default?: string | number;
}

export interface ParamSpec {
  name: string;
  description: string;
  schema: ParamSchema;
}

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;

const TIME =
  'ISO 8601 (2024-05-01, 2024-05-01T12:00:00Z) or a duration ago: a whole number and a unit (ms, s, m, h, d, w), such as 30m, 12h, 7d, 2w';

export const P = {
  since: { name: 'since', description: `Start time, inclusive: ${TIME}.`, schema: { type: 'string' } },
  until: { name: 'until', description: `End time, exclusive: ${TIME}.`, schema: { type: 'string' } },
  country: {
    name: 'country',
    description: 'A foreign country the path went through (ISO 3166-1 alpha-2).',
    schema: { type: 'string', pattern: COUNTRY_PATTERN },
  },
  asn: {
    name: 'asn',
    description: 'An AS number a foreign hop belongs to (4134 or AS4134).',
    schema: { type: 'string', pattern: ASN_PATTERN },
  },
  agent: { name: 'agent', description: 'The id of the agent that measured.', schema: { type: 'string' } },
  target: {
    name: 'target',
    description: 'The destination: an IP address or the host name the measurement was asked for.',
    schema: { type: 'string' },
  },
  confidence: {
    name: 'confidence',
    description: 'Only detours of this confidence.',
    schema: { type: 'string', enum: ['confirmed', 'probable'] },
  },
  verdict: {
    name: 'verdict',
    description: 'Only traces with this verdict.',
    schema: {
      type: 'string',
      enum: ['domestic', 'detour', 'foreign-endpoint', 'inconclusive', 'implausible'],
    },
  },
  origin: {
    name: 'origin',
    description: 'Where the trace came from: an agent of this network, or an import (RIPE Atlas).',
    schema: { type: 'string', enum: ['agent', 'import'] },
  },
  state: {
    name: 'state',
    description: 'Only open or only closed incidents.',
    schema: { type: 'string', enum: ['open', 'closed'] },
  },
  limit: {
    name: 'limit',
    description: `Most items on one page (default ${DEFAULT_PAGE}).`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE },
  },
  cursor: {
    name: 'cursor',
    description: 'The `nextCursor` of the previous page, unchanged; the other parameters must stay the same.',
    schema: { type: 'string' },
  },
  format: {
    name: 'format',
    description:
      'csv (RFC 4180), json (an array), ndjson (one JSON object a line) or geojson (a FeatureCollection of paths).',
    schema: { type: 'string', enum: ['csv', 'json', 'ndjson', 'geojson'], default: 'ndjson' },
  },
} as const satisfies Record<string, ParamSpec>;

const PAGE = [P.limit, P.cursor];

export const ROUTE_PARAMS = {
  traces: [P.since, P.until, P.verdict, P.agent, P.target, P.origin, ...PAGE],
  detours: [P.since, P.until, P.country, P.asn, P.agent, P.target, P.confidence, ...PAGE],
  detoursExport: [P.since, P.until, P.country, P.asn, P.agent, P.target, P.confidence, P.format],
  incidents: [P.since, P.until, P.state, P.agent, P.country, P.asn, P.target, ...PAGE],
  incidentTraces: [...PAGE],
  baselines: [P.agent, P.target, ...PAGE],
  stats: [P.since, P.until, P.agent],
  deliveries: [...PAGE],
} as const satisfies Record<string, readonly ParamSpec[]>;
