/**
 * `detourwatch locations set|remove|list|changes|export|import`: operators' corrections of router locations
 * (issue 15, item 5), on a local store (--data / --database) or through a coordinator's API (--server with an
 * operator key). cli/locations.ts dispatches to `correctionCommand`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { parseIp } from '../protocol/address/parse.ts';
import { DetourwatchError, describeError } from '../protocol/errors.ts';
import type { ApiErrorBody } from '../protocol/history-api.ts';
import {
  type CorrectionImportResult,
  LOCATION_CORRECTIONS_API,
  type LocationCorrectionItem,
  type PlacementChangeItem,
} from '../protocol/location-corrections.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseCountryCode } from '../protocol/values/country.ts';
import { parseLatLon } from '../protocol/values/lat-lon.ts';
import { parseIntIn } from '../protocol/values/number.ts';
import { badValue, quote } from '../protocol/values/quote.ts';
import {
  DATABASE_OPTION,
  dataDirFrom,
  refuseDataWithDatabase,
  SERVE_OPTIONS,
} from '../server/config/serve-config.ts';
import { DEFAULT_KM_PER_MS } from '../server/physics/rtt-bound.ts';
import { changeItem, changeLines, correctionItem } from '../server/placement/correction-items.ts';
import { checkCorrection, importCorrections, noCorrection } from '../server/placement/corrections.ts';
import { packagedGazetteer } from '../server/placement/dictionaries.ts';
import { geofeedText, parseGeofeed } from '../server/placement/geofeed.ts';
import { openStore } from '../server/store/open-store.ts';
import type { Store } from '../server/store/store.ts';
import type { CliIo } from './io.ts';
import { tableLines } from './text-table.ts';

export const CORRECTION_SUBCOMMANDS = ['set', 'remove', 'list', 'changes', 'export', 'import'] as const;
type Sub = (typeof CORRECTION_SUBCOMMANDS)[number];

export const CORRECTION_USAGE = `  detourwatch locations set IP LAT,LON --note TEXT [--country CC] [--city NAME]
                                       an operator's correction of where the router IP is; accepted only if
                                       every stored RTT allows it (each verified agent's lowest, and the lowest
                                       from each known prober position), refused with the numbers otherwise
  detourwatch locations remove IP      drops the correction (placement falls back to names, database, RTTs)
  detourwatch locations list [--json]  every correction with who set it, when and why
  detourwatch locations changes [IP] [--limit N] [--json]
                                       the placement-change log: old and new placement, traces judged again,
                                       verdicts changed and the incidents they left or joined
  detourwatch locations export [--out FILE]
                                       the corrections as a geofeed CSV (RFC 8805 columns 1-5, then lat,lon,note)
  detourwatch locations import FILE [--accept-valid]
                                       reads such a file, tests every line against the RTTs and reports each
                                       line; a refused line keeps the whole file out unless --accept-valid

  Where: --data DIR | --database URL (a local store; \`set\`/\`remove\` are re-judged by a running coordinator
  within seconds, else at its next start), or --server URL with --key KEY (env DETOURWATCH_API_KEY, an operator
  key from \`token create --role operator\`): the coordinator re-judges before it answers.
  --by WHO (local only; default "local CLI user@host"), --km-per-ms N (local checks; default ${DEFAULT_KM_PER_MS}).
  A longitude or latitude starting with "-" goes after "--": locations set IP --note TEXT -- -33.87,151.21`;

function parseText(text: string): string {
  const value = text.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (value === '' || value.length > 1000 || /[\x00-\x1f\x7f]/.test(value)) {
    throw badValue(`${quote(text)}: use 1 to 1000 printable characters on one line`);
  }
  return value;
}

const OPTIONS = {
  note: { type: 'string', parse: parseText },
  country: { type: 'string', parse: parseCountryCode },
  city: { type: 'string', parse: parseText },
  by: { type: 'string', parse: parseText },
  json: { type: 'boolean', default: false },
  limit: { type: 'string', parse: (t: string) => parseIntIn(t, 1, 500), default: 50 },
  out: { type: 'string' },
  'accept-valid': { type: 'boolean', default: false },
  'km-per-ms': SERVE_OPTIONS['km-per-ms'],
  server: { type: 'string', env: 'DETOURWATCH_SERVER' },
  key: { type: 'string', env: 'DETOURWATCH_API_KEY' },
  data: { type: 'string', env: 'DETOURWATCH_DATA' },
  database: DATABASE_OPTION,
} as const satisfies OptionSpecs;

function address(text: string): string {
  const ip = parseIp(text);
  if (ip === null) throw badValue(`${quote(text)} is not an IP address`);
  return ip.address;
}

/** The coordinator's API, with the operator key. */
async function api(
  server: string,
  key: string | undefined,
  method: string,
  path: string,
  body?: { text: string; type: string },
) {
  let url: URL;
  try {
    url = new URL(path, server.replace(/^ws/, 'http'));
  } catch {
    throw new DetourwatchError('USAGE', `--server must be the coordinator's URL, like http://127.0.0.1:8080`);
  }
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = body.type;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: body?.text, signal: AbortSignal.timeout(300_000) });
  } catch (err) {
    throw new DetourwatchError(
      'STORE_FAILED',
      `cannot reach the coordinator at ${url.origin}: ${describeError(err)}`,
    );
  }
  const text = await res.text();
  if (res.ok) return text;
  let code: string | undefined;
  let message = `HTTP ${res.status}`;
  try {
    const e = (JSON.parse(text) as ApiErrorBody).error;
    code = e.code;
    message = e.message;
  } catch {
    // Not the API's error shape: a proxy or another server answered.
  }
  const known = ['CORRECTION_REFUTED', 'NOT_FOUND', 'AUTH_REQUIRED', 'FORBIDDEN', 'BAD_PARAMETER'] as const;
  const coded = known.find((k) => k === code);
  throw new DetourwatchError(coded ?? 'STORE_FAILED', message);
}

function correctionRows(list: readonly LocationCorrectionItem[]): string[] {
  if (list.length === 0) return ['no corrections'];
  return tableLines(
    ['IP', 'LAT,LON', 'PLACE', 'BY', 'AT', 'NOTE'],
    list.map((c) => [
      c.ip,
      `${c.lat},${c.lon}`,
      [c.city, c.region, c.country].filter((x) => x).join(', '),
      c.by,
      c.at,
      c.note,
    ]),
  );
}

function importLines(result: CorrectionImportResult): string[] {
  const lines = result.lines.map(
    (l) => `line ${l.line}: ${l.accepted ? 'accepted' : 'REFUSED'}: ${l.message}`,
  );
  const refused = result.lines.filter((l) => !l.accepted).length;
  lines.push(
    result.applied
      ? `imported ${result.changes.length} correction(s)${refused > 0 ? `; ${refused} line(s) refused and left out` : ''}`
      : refused > 0
        ? `nothing imported: ${refused} line(s) refused (fix them, or --accept-valid to import the others)`
        : 'nothing imported: the file holds no correction',
  );
  for (const c of result.changes) lines.push(...changeLines(c));
  return lines;
}

/** Runs one of CORRECTION_SUBCOMMANDS; `args` are the words after it. */
export async function correctionCommand(sub: Sub, args: string[], io: CliIo): Promise<number> {
  const reading = readOptions(OPTIONS, args, process.env, { allowPositionals: true });
  const { values, positionals, problems, source } = reading;
  const say = (line: string) => io.stdout.write(`${line}\n`);
  const wants = { set: 2, remove: 1, list: 0, changes: -1, export: 0, import: 1 }[sub];
  if (wants >= 0 && positionals.length !== wants) {
    problems.add(
      sub === 'set'
        ? 'locations set needs IP and LAT,LON'
        : wants === 0
          ? `locations ${sub} takes no arguments`
          : `locations ${sub} needs ${sub === 'import' ? 'the FILE' : 'the IP'}`,
    );
  }
  if (sub === 'changes' && positionals.length > 1) problems.add('locations changes takes at most one IP');
  const ip =
    sub === 'set' || sub === 'remove' || (sub === 'changes' && positionals[0] !== undefined)
      ? problems.check('IP', () => address(positionals[0] as string))
      : undefined;
  const point =
    sub === 'set' && positionals[1] !== undefined
      ? problems.check('LAT,LON', () => parseLatLon(positionals[1] as string))
      : undefined;
  if (sub === 'set' && source('note') === null)
    problems.add('locations set needs --note TEXT: why (it is recorded)');
  if (sub !== 'set' && (source('note') ?? source('country') ?? source('city')) !== null)
    problems.add('--note, --country and --city go with locations set');
  const storeFlag = source('data') === '--data' || source('database') === '--database';
  const serverFlag = source('server') === '--server';
  if (serverFlag && storeFlag) problems.add('give --server, or --data / --database, not both');
  const server = values.server && (serverFlag || !storeFlag) ? values.server : undefined;
  if (server !== undefined && source('by') !== null)
    problems.add('--by is for a local store; through --server the operator key names who');
  refuseDataWithDatabase(reading);
  problems.throwIfAny(`locations ${sub}`);

  if (server !== undefined) return remote(sub, { ip, point, values, positionals, server }, say);

  const store = await openStore({
    dataDir: dataDirFrom(values.data),
    database: values.database,
    create: false,
  });
  try {
    return await local(sub, { ip, point, values, positionals, store }, say);
  } finally {
    await store.close();
  }
}

type Values = ReturnType<typeof readOptions<typeof OPTIONS>>['values'];

interface Given {
  ip: string | undefined;
  point: { lat: number; lon: number } | undefined;
  values: Values;
  positionals: string[];
}

function readFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new DetourwatchError('INPUT_UNREADABLE', `cannot read ${file}: ${describeError(err)}`);
  }
}

function write(out: string | undefined, text: string, say: (line: string) => void): void {
  if (out === undefined) {
    say(text.replace(/\n$/, ''));
    return;
  }
  try {
    writeFileSync(out, text);
  } catch (err) {
    throw new DetourwatchError('INPUT_UNREADABLE', `cannot write ${out}: ${describeError(err)}`);
  }
}

async function local(sub: Sub, g: Given & { store: Store }, say: (line: string) => void): Promise<number> {
  const { store, values } = g;
  const by = values.by ?? `local CLI ${userInfo().username}@${hostname()}`;
  const check = { store, kmPerMs: values['km-per-ms'] ?? DEFAULT_KM_PER_MS, gazetteer: packagedGazetteer };
  const show = (c: PlacementChangeItem) => {
    if (values.json) say(JSON.stringify(c));
    else for (const line of changeLines(c)) say(line);
  };
  switch (sub) {
    case 'set': {
      const point = g.point as { lat: number; lon: number };
      const correction = await checkCorrection(
        {
          ip: g.ip as string,
          ...point,
          note: values.note as string,
          country: values.country ?? null,
          city: values.city ?? null,
          by,
          at: Date.now(),
        },
        check,
      );
      const [change] = await store.setLocationCorrections([correction]);
      show(changeItem(change as NonNullable<typeof change>));
      return 0;
    }
    case 'remove': {
      const change = await store.removeLocationCorrection(g.ip as string, by, Date.now());
      if (change === null) throw noCorrection(g.ip as string);
      show(changeItem(change));
      return 0;
    }
    case 'list': {
      const list = (await store.listLocationCorrections()).map(correctionItem);
      if (values.json) say(JSON.stringify({ corrections: list }));
      else for (const line of correctionRows(list)) say(line);
      return 0;
    }
    case 'changes': {
      const list = (await store.placementChanges({ ip: g.ip ?? null, limit: values.limit })).map(changeItem);
      if (values.json) say(JSON.stringify({ changes: list }));
      else if (list.length === 0) say('no placement changes');
      else for (const c of list) for (const line of changeLines(c)) say(line);
      return 0;
    }
    case 'export':
      write(values.out, geofeedText(await store.listLocationCorrections(), new Date().toISOString()), say);
      return 0;
    case 'import': {
      const outcome = await importCorrections(
        parseGeofeed(readFile(g.positionals[0] as string)),
        { by, at: Date.now() },
        check,
        { acceptValid: values['accept-valid'] },
      );
      const result: CorrectionImportResult = {
        lines: outcome.lines,
        applied: outcome.changes.length > 0,
        changes: outcome.changes.map(changeItem),
      };
      if (values.json) say(JSON.stringify(result));
      else for (const line of importLines(result)) say(line);
      return result.lines.some((l) => !l.accepted) ? 1 : 0;
    }
  }
}

async function remote(sub: Sub, g: Given & { server: string }, say: (line: string) => void): Promise<number> {
  const { values, server } = g;
  const key = values.key;
  const one = (ip: string) => LOCATION_CORRECTIONS_API.one.replace(':ip', encodeURIComponent(ip));
  const show = (text: string) => {
    if (values.json) say(text);
    else for (const line of changeLines(JSON.parse(text) as PlacementChangeItem)) say(line);
  };
  switch (sub) {
    case 'set': {
      const body = JSON.stringify({
        ...g.point,
        note: values.note,
        ...(values.country ? { country: values.country } : {}),
        ...(values.city ? { city: values.city } : {}),
      });
      show(await api(server, key, 'PUT', one(g.ip as string), { text: body, type: 'application/json' }));
      return 0;
    }
    case 'remove':
      show(await api(server, key, 'DELETE', one(g.ip as string)));
      return 0;
    case 'list': {
      const text = await api(server, key, 'GET', LOCATION_CORRECTIONS_API.list);
      if (values.json) say(text);
      else
        for (const line of correctionRows(
          (JSON.parse(text) as { corrections: LocationCorrectionItem[] }).corrections,
        ))
          say(line);
      return 0;
    }
    case 'changes': {
      const query = new URLSearchParams({ limit: String(values.limit), ...(g.ip ? { ip: g.ip } : {}) });
      const text = await api(server, key, 'GET', `${LOCATION_CORRECTIONS_API.changes}?${query}`);
      const list = (JSON.parse(text) as { changes: PlacementChangeItem[] }).changes;
      if (values.json) say(text);
      else if (list.length === 0) say('no placement changes');
      else for (const c of list) for (const line of changeLines(c)) say(line);
      return 0;
    }
    case 'export':
      write(
        values.out,
        await api(server, key, 'GET', `${LOCATION_CORRECTIONS_API.list}?format=geofeed`),
        say,
      );
      return 0;
    case 'import': {
      const text = await api(
        server,
        key,
        'POST',
        `${LOCATION_CORRECTIONS_API.list}?acceptValid=${values['accept-valid']}`,
        { text: readFile(g.positionals[0] as string), type: 'text/csv' },
      );
      const result = JSON.parse(text) as CorrectionImportResult;
      if (values.json) say(text);
      else for (const line of importLines(result)) say(line);
      return result.lines.some((l) => !l.accepted) ? 1 : 0;
    }
  }
}
