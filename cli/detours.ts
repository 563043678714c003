import { DetourwatchError } from '../protocol/errors.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../server/export/formats.ts';
import { asUsageError, openCliSource } from '../server/history/cli-source.ts';
import { parseVia } from '../server/history/param-parsers.ts';
import { detourTable } from '../server/history/text-table.ts';
import { parseCommandLine } from './args.ts';
import type { CliIo, Command } from './io.ts';

const USAGE = `Usage: detourwatch detours [options]

Detour verdicts, newest first as a table, or every match exported (csv, json, ndjson, geojson).

  --since WHEN        from this time: ISO 8601 (2024-05-01, 2024-05-01T12:00Z) or a duration
                      back from now (30m, 12h, 7d, 2w)
  --until WHEN        before this time (same forms)
  --via CC|ASN        through this foreign country (CN) or AS (AS4134); twice for both
  --agent ID          measured by this agent
  --target HOST|IP    to this destination
  --confidence C      confirmed or probable
  --limit N           rows of the table (default 50, at most 1000)
  --format F          table (default), or an export of every match: csv, json, ndjson, geojson
  --data DIR          read the store in DIR (default ./data)                    DETOURWATCH_DATA
  --server URL        read a coordinator's API instead                          DETOURWATCH_SERVER`;

type Format = 'table' | ExportFormat;
const FORMATS: readonly Format[] = ['table', ...EXPORT_FORMATS];

/** The API query the flags stand for: the same parameters whether the store or a coordinator answers. */
export function detourQuery(values: {
  since?: string | undefined;
  until?: string | undefined;
  via?: string[] | undefined;
  agent?: string | undefined;
  target?: string | undefined;
  confidence?: string | undefined;
}): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of ['since', 'until', 'agent', 'target', 'confidence'] as const) {
    const v = values[key];
    if (v !== undefined) query[key] = v;
  }
  for (const text of values.via ?? []) {
    const via = parseVia('via', text);
    const [key, value] = 'country' in via ? ['country', via.country] : ['asn', String(via.asn)];
    if (key in query) throw new DetourwatchError('USAGE', '--via: give at most one country and one AS');
    query[key] = value;
  }
  return query;
}

export const detoursCommand: Command = {
  name: 'detours',
  summary: 'list or export detour verdicts (from the store or a coordinator)',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parse(args);
    const format = (values.format ?? 'table') as Format;
    if (!FORMATS.includes(format)) {
      throw new DetourwatchError(
        'USAGE',
        `--format must be one of ${FORMATS.join(', ')}, not "${values.format}"`,
      );
    }
    let query: Record<string, string>;
    try {
      query = detourQuery(values);
    } catch (err) {
      throw asUsageError(err);
    }
    const source = openCliSource(values, process.env);
    try {
      if (format !== 'table') {
        if (values.limit !== undefined)
          throw new DetourwatchError('USAGE', '--limit applies to the table; exports hold every match');
        await source.exportDetours(query, format, io.stdout);
        return 0;
      }
      const page = await source.detours({ ...query, limit: values.limit ?? '50' });
      if (page.items.length === 0) {
        io.stdout.write('No detour matches.\n');
        return 0;
      }
      io.stdout.write(detourTable(page.items));
      if (page.nextCursor !== null) {
        io.stderr.write(
          `(${page.items.length} shown, more match: raise --limit or export them with --format csv)\n`,
        );
      }
      return 0;
    } catch (err) {
      throw asUsageError(err);
    } finally {
      await source.close();
    }
  },
};

function parse(args: string[]) {
  return parseCommandLine(
    {
      args,
      strict: true,
      allowPositionals: false,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        via: { type: 'string', multiple: true },
        agent: { type: 'string' },
        target: { type: 'string' },
        confidence: { type: 'string' },
        limit: { type: 'string' },
        format: { type: 'string' },
        data: { type: 'string' },
        server: { type: 'string' },
      },
    },
    USAGE,
  );
}
