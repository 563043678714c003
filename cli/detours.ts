import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseChoice } from '../protocol/values/choice.ts';
import { parseInstant } from '../protocol/values/instant.ts';
import { parseIntIn } from '../protocol/values/number.ts';
import { parseVia, type Via } from '../protocol/values/via.ts';
import { CONFIDENCES } from '../protocol/verdict.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../server/export/formats.ts';
import { asUsageError, openCliSource } from '../server/history/cli-source.ts';
import { agentId, targetFilter } from '../server/history/param-parsers.ts';
import { parseDatabaseUrl } from '../server/store/pg/database-url.ts';
import type { CliIo, Command } from './io.ts';
import { detourTable } from './text-table.ts';

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
  --database URL      read a PostgreSQL store (as serve --database)             DETOURWATCH_DATABASE_URL
  --server URL        read a coordinator's API instead                          DETOURWATCH_SERVER`;

type Format = 'table' | ExportFormat;
const FORMATS: readonly Format[] = ['table', ...EXPORT_FORMATS];

/** A time is checked here and passed on as typed: a relative `7d` is resolved by whoever answers. */
const time = (text: string): string => {
  parseInstant(text, Date.now());
  return text.trim();
};

/**
 * The filter flags `detours` and `incidents` share, checked with the parsers the API uses, so that every bad
 * flag is named at once before a store is opened or a coordinator asked. --data, --database and --server
 * take no variable here: the history source reads DETOURWATCH_DATA, DETOURWATCH_DATABASE_URL and
 * DETOURWATCH_SERVER itself, with their order.
 */
export const FILTER_OPTIONS = {
  since: { type: 'string', parse: time },
  until: { type: 'string', parse: time },
  via: { type: 'string', multiple: true, parse: parseVia },
  agent: { type: 'string', parse: agentId },
  target: { type: 'string', parse: targetFilter },
  limit: { type: 'string', parse: (t: string) => String(parseIntIn(t, 1, 1000)) },
  format: { type: 'string' },
  data: { type: 'string' },
  database: { type: 'string', parse: parseDatabaseUrl },
  server: { type: 'string' },
} as const satisfies OptionSpecs;

const DETOUR_OPTIONS = {
  ...FILTER_OPTIONS,
  confidence: { type: 'string', parse: (t: string) => parseChoice(t, CONFIDENCES) },
} as const satisfies OptionSpecs;

/** The API query the filter flags stand for: the same parameters whether the store or a coordinator answers. */
export function filterQuery(values: {
  since?: string | undefined;
  until?: string | undefined;
  via: readonly Via[];
  agent?: string | undefined;
  target?: string | undefined;
}): { query: Record<string, string>; problem: string | null } {
  const query: Record<string, string> = {};
  for (const key of ['since', 'until', 'agent', 'target'] as const) {
    const v = values[key];
    if (v !== undefined) query[key] = v;
  }
  for (const via of values.via) {
    const [key, value] = 'country' in via ? ['country', via.country] : ['asn', String(via.asn)];
    if (key in query) return { query, problem: '--via: give at most one country and one AS' };
    query[key] = value;
  }
  return { query, problem: null };
}

export const detoursCommand: Command = {
  name: 'detours',
  summary: 'list or export detour verdicts (from the store or a coordinator)',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, problems } = readOptions(DETOUR_OPTIONS, args, process.env);
    const format = (values.format ?? 'table') as Format;
    // The wording scripts match; the other flags say `--flag: "value" is not ...`.
    if (!FORMATS.includes(format))
      problems.add(`--format must be one of ${FORMATS.join(', ')}, not "${values.format}"`);
    if (format !== 'table' && values.limit !== undefined)
      problems.add('--limit applies to the table; exports hold every match');
    const { query, problem } = filterQuery(values);
    if (problem !== null) problems.add(problem);
    if (values.confidence !== undefined) query.confidence = values.confidence;
    problems.throwIfAny('detours');
    const source = await openCliSource(values, process.env);
    try {
      if (format !== 'table') {
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
