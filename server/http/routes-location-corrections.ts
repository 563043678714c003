import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parseIp } from '../../protocol/address/parse.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import {
  type CorrectionImportResult,
  LOCATION_CORRECTIONS_API,
  type PlacementChangeItem,
} from '../../protocol/location-corrections.ts';
import { parseCountryCode } from '../../protocol/values/country.ts';
import { latLon } from '../../protocol/values/lat-lon.ts';
import { ParameterError } from '../history/parameter-error.ts';
import { changeItem, correctionItem } from '../placement/correction-items.ts';
import {
  type CheckDeps,
  checkCorrection,
  importCorrections,
  noCorrection,
} from '../placement/corrections.ts';
import { geofeedText, parseGeofeed } from '../placement/geofeed.ts';
import type { AgentStore } from '../store/agent-store.ts';
import type { LocationCorrectionStore, PlacementChange } from '../store/location-correction-store.ts';
import type { Auth } from './auth.ts';

/** What the correction routes use; absent in an app assembled without them (the writes answer 503). */
export interface CorrectionRouteDeps {
  check: CheckDeps;
  /** Re-judges what is pending (the change just stored included) and resolves with the final records. */
  applyPending(): Promise<PlacementChange[]>;
}

export interface CorrectionRoutesInput {
  store: Pick<
    LocationCorrectionStore,
    'listLocationCorrections' | 'setLocationCorrections' | 'removeLocationCorrection' | 'placementChanges'
  > &
    Pick<AgentStore, 'listTokens'>;
  auth: Auth;
  now(): number;
  corrections?: CorrectionRouteDeps | undefined;
}

const MAX_NOTE = 1000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const CONTROL = /[\x00-\x1f\x7f]/;
const MAX_CHANGES = 500;

function addressParam(text: string): string {
  const ip = parseIp(text);
  if (ip === null)
    throw new ParameterError('ip', `${JSON.stringify(text.slice(0, 64))} is not an IP address`);
  return ip.address;
}

function limited(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new DetourwatchError('PAYLOAD_TOO_LARGE', `the request body is larger than ${maxSize / 1024} KB`);
    },
  });
}

function textField(body: Record<string, unknown>, name: string, required: boolean): string | null {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw new ParameterError(name, 'is required');
    return null;
  }
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_NOTE || CONTROL.test(value)) {
    throw new ParameterError(name, `must be 1 to ${MAX_NOTE} printable characters`);
  }
  return value.trim();
}

function numberField(body: Record<string, unknown>, name: string): number {
  const value = body[name];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ParameterError(name, 'must be a number');
  return value;
}

/** The final record of a change once re-judged (or as stored, when re-judging failed to run). */
async function settled(deps: CorrectionRouteDeps, change: PlacementChange): Promise<PlacementChangeItem> {
  const done = (await deps.applyPending()).find((c) => c.id === change.id);
  return changeItem(done ?? change);
}

/**
 * Operators' corrections of router locations (issue 15, item 5): writes need an operator key and are
 * recorded with the key's name; each set or removal re-judges the recent verdicts that used the address before
 * the answer, which is the change's record. Fixed paths only: mounted before routes-locations.ts's `:ip`.
 */
export function correctionRoutes(input: CorrectionRoutesInput): Hono {
  const app = new Hono();
  const ready = (): CorrectionRouteDeps => {
    if (input.corrections === undefined) {
      throw new DetourwatchError('UNAVAILABLE', 'this coordinator does not take location corrections');
    }
    return input.corrections;
  };
  const operatorName = async (tokenId: number | null): Promise<string> => {
    const token = (await input.store.listTokens()).find((t) => t.id === tokenId);
    return token ? `operator key ${token.name} (#${token.id})` : `operator key #${tokenId}`;
  };

  app.get(LOCATION_CORRECTIONS_API.list, async (c) => {
    const format = c.req.query('format');
    if (format !== undefined && format !== 'json' && format !== 'geofeed') {
      throw new ParameterError('format', 'must be json or geofeed');
    }
    const corrections = await input.store.listLocationCorrections();
    if (format === 'geofeed') {
      c.header('content-type', 'text/csv; charset=utf-8');
      return c.body(geofeedText(corrections, new Date(input.now()).toISOString()));
    }
    return c.json({ corrections: corrections.map(correctionItem) });
  });

  app.post(LOCATION_CORRECTIONS_API.list, input.auth.operator, limited(1024 * 1024), async (c) => {
    const deps = ready();
    const acceptValid = c.req.query('acceptValid');
    if (acceptValid !== undefined && acceptValid !== 'true' && acceptValid !== 'false') {
      throw new ParameterError('acceptValid', 'must be true or false');
    }
    const by = await operatorName((await input.auth.caller(c)).tokenId);
    const outcome = await importCorrections(
      parseGeofeed(await c.req.text()),
      { by, at: input.now() },
      { ...deps.check, store: { ...deps.check.store, ...input.store } },
      { acceptValid: acceptValid === 'true' },
    );
    const done = outcome.changes.length > 0 ? await deps.applyPending() : [];
    const result: CorrectionImportResult = {
      lines: outcome.lines,
      applied: outcome.changes.length > 0,
      changes: outcome.changes.map((ch) => changeItem(done.find((d) => d.id === ch.id) ?? ch)),
    };
    return c.json(result);
  });

  app.put(LOCATION_CORRECTIONS_API.one, input.auth.operator, limited(4096), async (c) => {
    const deps = ready();
    const ip = addressParam(c.req.param('ip') ?? '');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new DetourwatchError('BAD_REQUEST', 'the body must be JSON: {"lat", "lon", "note"}');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new DetourwatchError('BAD_REQUEST', 'the body must be a JSON object: {"lat", "lon", "note"}');
    }
    const fields = body as Record<string, unknown>;
    let point: { lat: number; lon: number };
    try {
      point = latLon(numberField(fields, 'lat'), numberField(fields, 'lon'));
    } catch (err) {
      if (err instanceof ParameterError) throw err;
      throw new ParameterError('lat', (err as Error).message);
    }
    const country = textField(fields, 'country', false);
    let cc: string | null = null;
    try {
      cc = country === null ? null : parseCountryCode(country);
    } catch (err) {
      throw new ParameterError('country', (err as Error).message);
    }
    let correction: Awaited<ReturnType<typeof checkCorrection>>;
    try {
      correction = await checkCorrection(
        {
          ip,
          ...point,
          note: textField(fields, 'note', true) as string,
          country: cc,
          city: textField(fields, 'city', false),
          by: await operatorName((await input.auth.caller(c)).tokenId),
          at: input.now(),
        },
        deps.check,
      );
    } catch (err) {
      // No place near the point and no country given: the body's to fix.
      if (err instanceof DetourwatchError && err.code === 'USAGE')
        throw new ParameterError('country', err.message);
      throw err;
    }
    const [change] = await input.store.setLocationCorrections([correction]);
    return c.json(await settled(deps, change as PlacementChange));
  });

  app.delete(LOCATION_CORRECTIONS_API.one, input.auth.operator, async (c) => {
    const deps = ready();
    const ip = addressParam(c.req.param('ip') ?? '');
    const by = await operatorName((await input.auth.caller(c)).tokenId);
    const change = await input.store.removeLocationCorrection(ip, by, input.now());
    if (change === null) throw noCorrection(ip);
    return c.json(await settled(deps, change));
  });

  app.get(LOCATION_CORRECTIONS_API.changes, async (c) => {
    const ipText = c.req.query('ip');
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CHANGES) {
      throw new ParameterError('limit', `must be a whole number from 1 to ${MAX_CHANGES}`);
    }
    const ip = ipText === undefined ? null : addressParam(ipText);
    const changes = await input.store.placementChanges({ ip, limit });
    return c.json({ changes: changes.map(changeItem) });
  });
  return app;
}
