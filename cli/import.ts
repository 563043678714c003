import { createReadStream, statSync } from 'node:fs';
import { DetourwatchError, describeError } from '../protocol/errors.ts';
import type { Position } from '../protocol/messages.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseCountryCode } from '../protocol/values/country.ts';
import { parsePositiveNumber } from '../protocol/values/number.ts';
import { createAnalyzer } from '../server/analyze/pipeline.ts';
import { DATABASE_OPTION, dataDirFrom, refuseDataWithDatabase } from '../server/config/serve-config.ts';
import { ALERT_OPTIONS, alertConfigFrom, parseIncidentQuiet } from '../server/history/history-options.ts';
import { startHistory } from '../server/history/history-service.ts';
import { type AtlasImportReport, importAtlas, storeImportSink } from '../server/import/atlas-import.ts';
import {
  type ProbeLocations,
  parseProbeLocation,
  readProbeArchive,
} from '../server/import/probe-locations.ts';
import { DEFAULT_QUIET_MS } from '../server/incidents/tracker.ts';
import { openStore } from '../server/store/open-store.ts';
import type { CliIo, Command } from './io.ts';
import { progressLine } from './progress-line.ts';

const USAGE = `Usage: detourwatch import atlas FILE|- [options]

Imports public RIPE Atlas traceroute results (a JSON array as the API downloads them, or NDJSON, one result
a line; - reads standard input), streamed. Each result is judged like an agent's trace, from its probe's
location; incidents are updated. Results already imported (same msm_id, prb_id and timestamp) are skipped,
so importing a file twice adds nothing.

  --data DIR                the store to import into (default ./data)             DETOURWATCH_DATA
  --database URL            a PostgreSQL store instead (as serve --database)      DETOURWATCH_DATABASE_URL
  --probe-archive FILE      probe locations: a RIPE Atlas probe archive ({"objects": [...]}, or one probe
                            a line), e.g. https://ftp.ripe.net/ripe/atlas/probes/archive/
  --probe-location ID=LAT,LON
                            one probe's location; repeat; wins over the archive
  --city-db PATH            a GeoIP2/GeoLite2 City .mmdb (default: the embedded GeoLite2 City)
  --asn-db PATH             an ASN database (default: the embedded one)
  --home-country CC         the country whose domestic paths are watched (default US)
  --km-per-ms N             distance bound per millisecond of RTT (default 100)
  --incident-quiet DUR      an incident closes after this long without a detour, at least 1m:
                            30m, 2h, 1d (default 2h)
  --look-up-documentation   test networks only: look documentation addresses up in the databases

Alerts (as serve's options of the same names and variables): an imported incident is announced to
--webhook URL (repeat) / --webhook-config FILE with --webhook-secret S, filtered by --webhook-min-confidence,
--webhook-countries, --webhook-asns and --webhook-witnesses, once --corroboration N (default 2) independent
verified vantages saw it (imports are unverified: --corroboration 1 announces them); a result older than
--late-after DUR (default 10m) is marked late; --webhook-route-changes (or "route.changed" in a webhook's events)
also announces the route changes the import records. The command ends once its alerts were delivered or gave up.

Without a probe's location its results are measured from where the databases place its source address;
a probe behind NAT (a private source address) then has no position and its results are inconclusive.`;

const IMPORT_OPTIONS = {
  data: { type: 'string', env: 'DETOURWATCH_DATA' },
  database: DATABASE_OPTION,
  'probe-archive': { type: 'string' },
  // Parsed by the command: its message names the flag already.
  'probe-location': { type: 'string', multiple: true },
  'city-db': { type: 'string' },
  'asn-db': { type: 'string' },
  'home-country': { type: 'string', parse: parseCountryCode },
  'km-per-ms': { type: 'string', parse: parsePositiveNumber },
  'incident-quiet': { type: 'string', parse: parseIncidentQuiet, default: DEFAULT_QUIET_MS },
  // Issue 14: an import alerts like any other result, marked late when old (serve's options of the same name).
  ...ALERT_OPTIONS,
  'look-up-documentation': { type: 'boolean' },
} as const satisfies OptionSpecs;

/** A file's bytes, or stdin; the size when known (for the progress bar). */
function openInput(
  file: string,
  io: CliIo,
): { input: AsyncIterable<string | Uint8Array>; size: number | null; name: string } {
  if (file === '-') return { input: io.stdin, size: null, name: 'standard input' };
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (err) {
    throw new DetourwatchError('INPUT_UNREADABLE', `cannot read ${file}: ${describeError(err)}`);
  }
  return { input: createReadStream(file), size, name: file };
}

async function probeLocations(
  archive: string | undefined,
  given: readonly [number, Position][],
  io: CliIo,
): Promise<ProbeLocations> {
  const locations: ProbeLocations = new Map();
  if (archive !== undefined) {
    const { input, name } = openInput(archive, io);
    const report = await readProbeArchive(input, name);
    for (const [id, pos] of report.locations) locations.set(id, pos);
    io.stderr.write(
      `probe archive ${name}: ${report.probes} probes, ${report.locations.size} located, ${report.withoutLocation} without a location\n`,
    );
  }
  for (const [id, pos] of given) locations.set(id, pos);
  return locations;
}

function summary(report: AtlasImportReport, seconds: number): string {
  const v = report.verdicts;
  const lines = [
    `read ${report.values} results (${report.traces} traces) in ${seconds.toFixed(1)} s`,
    `imported ${report.imported} new, ${report.duplicates} already stored, ${report.failed} failed`,
    `verdicts of the new: ${v.detour} detour, ${v.domestic} domestic, ${v['foreign-endpoint']} foreign-endpoint, ${v.inconclusive} inconclusive, ${v.implausible} implausible`,
  ];
  if (report.withoutLocation > 0) {
    lines.push(
      `${report.withoutLocation} new traces came from probes without a known location (see --probe-archive): ` +
        'judged from where the databases place their source address, if anywhere',
    );
  }
  for (const e of report.errors) lines.push(`  problem: ${e}`);
  if (report.failed > report.errors.length)
    lines.push(`  ... and ${report.failed - report.errors.length} more problems`);
  return `${lines.join('\n')}\n`;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import RIPE Atlas traceroute results into the store',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals, problems, source } = readOptions(IMPORT_OPTIONS, args, process.env, {
      allowPositionals: true,
    });
    const [kind, file, ...extra] = positionals;
    if (kind !== 'atlas' || file === undefined || extra.length > 0)
      problems.add('import needs the kind and one input: import atlas FILE|-');
    const given: [number, Position][] = [];
    for (const text of values['probe-location']) {
      const location = problems.check(null, () => parseProbeLocation(text));
      if (location) given.push(location);
    }
    refuseDataWithDatabase({ source, problems });
    const alerts = alertConfigFrom({ values, problems, source, positionals });
    problems.throwIfAny('import');

    const probes = await probeLocations(values['probe-archive'], given, io);
    const input = openInput(file as string, io);
    const analyzer = createAnalyzer({
      cityDb: values['city-db'],
      asnDb: values['asn-db'],
      homeCountry: values['home-country'],
      kmPerMs: values['km-per-ms'],
      lookUpDocumentation: values['look-up-documentation'],
    });
    const store = await openStore({
      dataDir: dataDirFrom(values.data),
      database: values.database,
      create: true,
    });
    // Incidents and baselines follow the imported traces, and alerts go to the --webhook receivers given.
    const history = await startHistory({
      store,
      quietMs: values['incident-quiet'],
      webhooks: alerts.webhooks,
      corroboration: alerts.corroboration,
      maxWitnessesPerOwner: alerts.maxWitnessesPerOwner,
      retainHopsDays: null,
    });
    const started = performance.now();
    let lastDraw = 0;
    try {
      const report = await importAtlas({
        input: input.input,
        analyzer,
        probes,
        sink: storeImportSink(store, alerts.lateAfterMs),
        onProgress: (p) => {
          if (!io.isTty || performance.now() - lastDraw < 100) return;
          lastDraw = performance.now();
          io.stderr.write(`\r\x1b[K${progressLine(p, input.size)}`);
        },
      });
      if (io.isTty) io.stderr.write(`\r\x1b[K${progressLine(report, input.size)}\n`);
      io.stdout.write(summary(report, (performance.now() - started) / 1000));
      // Alerts of the import go out before the command ends (each retried as serve does).
      await history.idle();
      return report.failed > 0 && report.imported + report.duplicates === 0 ? 1 : 0;
    } finally {
      await history.close();
      await store.close();
    }
  },
};
