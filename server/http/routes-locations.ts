import { Hono } from 'hono';
import { DetourwatchError } from '../../protocol/errors.ts';
import { LOCATION_REPORT_PATH } from '../../protocol/locations-api.ts';
import { readQuery } from '../history/filters.ts';
import type { ParamSpec } from '../history/param-specs.ts';
import type { LocationReader } from '../placement/location-reader.ts';

/**
 * Router locations (issue 15): what the network knows of where an address is, and, added beside it, the
 * operators' corrections. Each route is one function below, mounted in `locationRoutes`.
 */
export interface LocationRouteDeps {
  /** Builds the location reports; absent in an app assembled without an analyzer (the route answers 503). */
  locations?: LocationReader | undefined;
}

export const LOCATION_REPORT_PARAMS: readonly ParamSpec[] = [
  {
    name: 'name',
    description:
      'A reverse name to read instead of the one the traces carried (untrusted; 1 to 253 characters).',
    schema: { type: 'string' },
  },
];

/** GET /api/v1/locations/{ip}: every claim, the constraints per vantage, the region and the decision. */
function reportRoute(app: Hono, deps: LocationRouteDeps): void {
  app.get(LOCATION_REPORT_PATH, async (c) => {
    const q = readQuery(new URL(c.req.url).searchParams, LOCATION_REPORT_PARAMS);
    const reader = deps.locations;
    if (reader === undefined) {
      throw new DetourwatchError('UNAVAILABLE', 'this coordinator has no analyzer for location reports');
    }
    const report = await reader.report(c.req.param('ip') ?? '', { hostname: q.name ?? null });
    return c.json(report);
  });
}

/**
 * Public reads like the rest of the history. Routes with fixed paths under /api/v1/locations/ (a list, a
 * change log) must be mounted before `reportRoute`, whose `:ip` would match them.
 */
export function locationRoutes(deps: LocationRouteDeps): Hono {
  const app = new Hono();
  reportRoute(app, deps);
  return app;
}
