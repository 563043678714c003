import { readFileSync, writeFileSync } from 'node:fs';
import { DetourwatchError, describeError } from '../protocol/errors.ts';
import type { ApiErrorBody } from '../protocol/history-api.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseIntIn } from '../protocol/values/number.ts';
import { quote } from '../protocol/values/quote.ts';
import { createAnalyzer } from '../server/analyze/pipeline.ts';
import { dataDirFrom, refuseDataWithDatabase, SERVE_OPTIONS } from '../server/config/serve-config.ts';
import type { BundleFile } from '../server/evidence/bundle-document.ts';
import { evidenceContext, incidentBundle, traceBundle } from '../server/evidence/make-bundle.ts';
import { bundleText } from '../server/evidence/seal.ts';
import { openSigningKey } from '../server/evidence/signing-key.ts';
import { verifyBundle } from '../server/evidence/verify-bundle.ts';
import { openStore } from '../server/store/open-store.ts';
import type { CliIo, Command } from './io.ts';

const EXPORT_USAGE = `--out FILE [--html FILE] [--data DIR | --database URL | --server URL]`;

const USAGE = `Usage: detourwatch bundle verify FILE [--public-key KEY] [--html OUT]
       detourwatch bundle incident ID ${EXPORT_USAGE}
       detourwatch bundle trace ID ${EXPORT_USAGE}

Signed evidence bundles: one file (.dwbundle.json) holding a JSON document with every trace of an incident
(or one trace): the raw tool output as the agent sent it, every reply and its RTT, each hop's claims and
placement with its provenance, the physics per hop, the verdict and why, the vantage points, the databases
(name, build date, SHA-256) and the software version; an HTML report with a static map that opens offline;
and an Ed25519 signature by the coordinator's key over the canonical document, which names the report's
SHA-256. \`incidents export ID\` is \`bundle incident ID\`.

verify checks the signature, the report and every raw output against the document, and prints what it
checked; it fails (exit 1) naming what does not match.
  --public-key KEY     the coordinator's key (ed25519:..., from its serve banner): refuse any other signer
  --html OUT           write the report to OUT once the bundle is verified

incident / trace make a bundle:
  --out FILE           where to write it (.dwbundle.json)
  --html FILE          also write its HTML report there
  --server URL         a coordinator's API makes and signs it (GET /api/v1/.../bundle)   DETOURWATCH_SERVER
  --data DIR           otherwise the store in DIR, signed with the key kept in DIR
                       (evidence-signing-key.pem, made on first use; default ./data)     DETOURWATCH_DATA
  --database URL       a PostgreSQL store instead (the key still lives under --data's default or
                       DETOURWATCH_DATA)                                                  DETOURWATCH_DATABASE_URL
  --city-db, --asn-db, --km-per-ms, --home-country, --look-up-documentation
                       as serve's (and its variables): the databases whose SHA-256 the bundle names,
                       and the distance bound of the physics columns`;

const EXPORT_OPTIONS = {
  out: { type: 'string' },
  html: { type: 'string' },
  server: { type: 'string', env: 'DETOURWATCH_SERVER' },
  data: SERVE_OPTIONS.data,
  database: SERVE_OPTIONS.database,
  'city-db': SERVE_OPTIONS['city-db'],
  'asn-db': SERVE_OPTIONS['asn-db'],
  'km-per-ms': SERVE_OPTIONS['km-per-ms'],
  'home-country': SERVE_OPTIONS['home-country'],
  'look-up-documentation': SERVE_OPTIONS['look-up-documentation'],
} as const satisfies OptionSpecs;

const VERIFY_OPTIONS = {
  'public-key': { type: 'string' },
  html: { type: 'string' },
} as const satisfies OptionSpecs;

export type BundleKind = 'incident' | 'trace';

const API_PATH: Record<BundleKind, string> = { incident: 'incidents', trace: 'traces' };

function writeText(file: string, text: string, what: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new DetourwatchError('USAGE', `cannot write ${what} to ${file}: ${describeError(err)}`);
  }
}

async function fetchBundle(server: string, kind: BundleKind, id: number): Promise<string> {
  let url: URL;
  try {
    url = new URL(`/api/v1/${API_PATH[kind]}/${id}/bundle`, server.replace(/^ws/, 'http'));
  } catch {
    throw new DetourwatchError(
      'USAGE',
      `--server must be the coordinator's URL, like http://127.0.0.1:8080, not ${quote(server)}`,
    );
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  } catch (err) {
    throw new DetourwatchError(
      'STORE_FAILED',
      `cannot reach the coordinator at ${url.origin}: ${describeError(err)}`,
    );
  }
  const text = await res.text();
  if (res.ok) return text;
  let message = `HTTP ${res.status}`;
  try {
    message = (JSON.parse(text) as ApiErrorBody).error.message;
  } catch {
    // Not the API's error shape: a proxy or another server answered.
  }
  throw new DetourwatchError(
    res.status === 404 ? 'NOT_FOUND' : 'STORE_FAILED',
    `${url.pathname}: ${message}`,
  );
}

async function localBundle(
  values: { data?: string | undefined; database?: string | undefined } & Record<string, unknown>,
  kind: BundleKind,
  id: number,
): Promise<BundleFile | null> {
  const dataDir = dataDirFrom(values.data ?? process.env.DETOURWATCH_DATA);
  const analyzer = createAnalyzer({
    cityDb: values['city-db'] as string | undefined,
    asnDb: values['asn-db'] as string | undefined,
    homeCountry: values['home-country'] as string | undefined,
    kmPerMs: values['km-per-ms'] as number | undefined,
    lookUpDocumentation: values['look-up-documentation'] === true,
  });
  const ctx = evidenceContext(openSigningKey(dataDir), analyzer.provenance, Date.now);
  const store = await openStore({ dataDir, database: values.database, create: false });
  try {
    return kind === 'incident' ? await incidentBundle(store, id, ctx) : await traceBundle(store, id, ctx);
  } finally {
    await store.close();
  }
}

/** `bundle incident|trace ID` and `incidents export ID`: make a bundle and write it to --out. */
export async function exportBundle(kind: BundleKind, args: string[], io: CliIo): Promise<number> {
  const reading = readOptions(EXPORT_OPTIONS, args, process.env, { allowPositionals: true });
  const { values, positionals, problems } = reading;
  refuseDataWithDatabase(reading);
  const command = kind === 'incident' ? 'incidents export' : 'bundle trace';
  const [idText, ...extra] = positionals;
  if (idText === undefined) problems.add(`give the ${kind} ID`);
  const id =
    idText === undefined
      ? undefined
      : problems.check('ID', () => parseIntIn(idText, 1, Number.MAX_SAFE_INTEGER));
  if (extra.length > 0) problems.add(`unexpected argument ${quote(extra[0] as string)}`);
  if (values.out === undefined) problems.add('--out FILE is needed: where to write the bundle');
  // A flag wins over every variable: --data with DETOURWATCH_SERVER set reads the store.
  const storeFlag = reading.source('data') === '--data' || reading.source('database') === '--database';
  const serverFlag = reading.source('server') === '--server';
  if (serverFlag && storeFlag) problems.add('give --server, or --data / --database, not both');
  const server =
    values.server !== undefined && values.server !== '' && (serverFlag || !storeFlag)
      ? values.server
      : undefined;
  problems.throwIfAny(command);
  const out = values.out as string;
  const at = id as number;

  let text: string;
  if (server !== undefined) {
    text = await fetchBundle(server, kind, at);
  } else {
    const bundle = await localBundle(values, kind, at);
    if (bundle === null) throw new DetourwatchError('NOT_FOUND', `no ${kind} #${at}`);
    text = bundleText(bundle);
  }
  // What is written is checked as a recipient would check it: a bundle that does not verify is not handed over.
  const verified = verifyBundle(parseBundle(text, server ?? 'the bundle just made'));
  writeText(out, text, 'the bundle');
  if (values.html !== undefined) writeText(values.html, (JSON.parse(text) as BundleFile).html, 'the report');
  io.stdout.write(
    `wrote the evidence bundle of ${kind} #${at} (${verified.document.traces.length} trace(s), ${Buffer.byteLength(text)} bytes) to ${out}${values.html === undefined ? '' : `, its report to ${values.html}`}\nsigned by ${verified.publicKey}\n`,
  );
  return 0;
}

function parseBundle(text: string, from: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DetourwatchError(
      'BUNDLE_INVALID',
      `${from} is not a bundle: it is not JSON (${describeError(err)})`,
    );
  }
}

async function verifyCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals, problems } = readOptions(VERIFY_OPTIONS, args, process.env, {
    allowPositionals: true,
  });
  const [file, ...extra] = positionals;
  if (file === undefined) problems.add('give the bundle FILE to verify');
  if (extra.length > 0) problems.add(`unexpected argument ${quote(extra[0] as string)}`);
  problems.throwIfAny('bundle verify');
  let text: string;
  try {
    text = readFileSync(file as string, 'utf8');
  } catch (err) {
    throw new DetourwatchError('INPUT_UNREADABLE', `cannot read ${file}: ${describeError(err)}`);
  }
  const verified = verifyBundle(parseBundle(text, file as string), values['public-key'] ?? null);
  const d = verified.document;
  io.stdout.write([`verified ${file}: ${d.title}`, ...verified.checks.map((c) => `  ${c}`), ''].join('\n'));
  if (values.html !== undefined) {
    writeText(values.html, (JSON.parse(text) as BundleFile).html, 'the report');
    io.stdout.write(`wrote the verified report to ${values.html}\n`);
  }
  return 0;
}

export const bundleCommand: Command = {
  name: 'bundle',
  summary: 'make or verify signed evidence bundles of incidents and traces',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'verify') return verifyCommand(rest, io);
    if (sub === 'incident' || sub === 'trace') return exportBundle(sub, rest, io);
    throw new DetourwatchError(
      'USAGE',
      `${sub === undefined ? 'give a subcommand' : `unknown subcommand ${quote(sub)}`}: verify, incident or trace\nRun \`detourwatch bundle --help\` for the options.`,
    );
  },
};
