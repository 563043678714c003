import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseCountryCode } from '../protocol/values/country.ts';
import { parsePositiveNumber } from '../protocol/values/number.ts';
import { quote } from '../protocol/values/quote.ts';
import { type LocationSource, openLocationSource } from '../server/placement/location-source.ts';
import { parseDatabaseUrl } from '../server/store/pg/database-url.ts';
import type { CliIo, Command } from './io.ts';
import { locationLines } from './location-lines.ts';
import { CORRECTION_SUBCOMMANDS, CORRECTION_USAGE, correctionCommand } from './locations-corrections.ts';

const USAGE = `Usage:
  detourwatch locations show IP [--json] [--name HOSTNAME] [--data DIR | --database URL | --server URL]
                                     where the network places a router address: the database's claim, the
                                     hostname's readings (rule and token), an operator's correction, each
                                     verified agent's lowest RTT with the disc it bounds the router to, the
                                     region those leave, and the decision with its reason
${CORRECTION_USAGE}

Options:
  --json             the report as one JSON object (GET /api/v1/locations/{ip} gives the same)
  --name HOSTNAME    read this reverse name instead of the one the traces carried
  --data DIR         the store \`serve\` writes (default DETOURWATCH_DATA, else ./data); opened read-only
  --database URL     a PostgreSQL store (default DETOURWATCH_DATABASE_URL)
  --server URL       a coordinator's API instead (default DETOURWATCH_SERVER)
  --city-db PATH, --asn-db PATH, --home-country CC, --km-per-ms N
                     the analysis a local report uses (as \`serve\` takes them); a coordinator uses its own

A claim is refuted when a verified agent's lowest RTT puts the router too far from it ("within 310 km of the
seattle-1 agent by its 3.1 ms"), even when the RTTs of the trace that met it could not.`;

const LOCATIONS_OPTIONS = {
  json: { type: 'boolean', default: false },
  name: { type: 'string' },
  data: { type: 'string' },
  database: { type: 'string', parse: parseDatabaseUrl },
  server: { type: 'string' },
  'city-db': { type: 'string', env: 'DETOURWATCH_CITY_DB' },
  'asn-db': { type: 'string', env: 'DETOURWATCH_ASN_DB' },
  'home-country': { type: 'string', env: 'DETOURWATCH_HOME_COUNTRY', parse: parseCountryCode },
  'km-per-ms': { type: 'string', env: 'DETOURWATCH_KM_PER_MS', parse: parsePositiveNumber },
} as const satisfies OptionSpecs;

type Reading = ReturnType<typeof readOptions<typeof LOCATIONS_OPTIONS>>;

/** One subcommand: checks its own arguments (into `reading.problems`), then runs against the source. */
interface Subcommand {
  check(args: readonly string[], reading: Reading): void;
  run(args: readonly string[], reading: Reading, source: LocationSource, io: CliIo): Promise<number>;
}

const show: Subcommand = {
  check(args, { problems }) {
    if (args[0] === undefined) problems.add('locations show needs the IP address');
    for (const extra of args.slice(1)) problems.add(`unexpected argument ${quote(extra)}`);
  },
  async run(args, { values }, source, io) {
    const report = await source.report(args[0] as string, { hostname: values.name ?? null });
    if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`);
    else io.stdout.write(`${locationLines(report).join('\n')}\n`);
    return 0;
  },
};

/** Every subcommand of `detourwatch locations`; corrections add theirs here. */
const SUBCOMMANDS: Record<string, Subcommand> = { show };

export const locationsCommand: Command = {
  name: 'locations',
  summary: 'show where the network places a router address, with every claim and constraint',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    // Operators' corrections (cli/locations-corrections.ts) read their own options.
    const correction = CORRECTION_SUBCOMMANDS.find((s) => s === args[0]);
    if (correction !== undefined) return correctionCommand(correction, args.slice(1), io);
    const reading = readOptions(LOCATIONS_OPTIONS, args, process.env, { allowPositionals: true });
    const { values, positionals, problems } = reading;
    const [name, ...rest] = positionals;
    const names = [...Object.keys(SUBCOMMANDS), ...CORRECTION_SUBCOMMANDS].join(', ');
    const sub = name === undefined ? undefined : SUBCOMMANDS[name];
    if (name === undefined) problems.add(`locations needs a subcommand: ${names}`);
    else if (sub === undefined) problems.add(`unknown subcommand ${quote(name)} (${names})`);
    sub?.check(rest, reading);
    problems.throwIfAny('locations');
    const source = await openLocationSource(
      {
        data: values.data,
        database: values.database,
        server: values.server,
        cityDb: values['city-db'],
        asnDb: values['asn-db'],
        homeCountry: values['home-country'],
        kmPerMs: values['km-per-ms'],
      },
      process.env,
    );
    try {
      return await (sub as Subcommand).run(rest, reading, source, io);
    } finally {
      await source.close();
    }
  },
};
