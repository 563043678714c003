import { DetourwatchError } from '../protocol/errors.ts';
import type { IncidentDetail, TraceItem } from '../protocol/history-api.ts';
import { asUsageError, openCliSource } from '../server/history/cli-source.ts';
import { parseIntIn } from '../server/history/param-parsers.ts';
import { cellText, incidentTable, renderTable, via } from '../server/history/text-table.ts';
import { parseCommandLine } from './args.ts';
import { detourQuery } from './detours.ts';
import type { CliIo, Command } from './io.ts';

const USAGE = `Usage: detourwatch incidents [options]
       detourwatch incidents show ID [--traces N] [--format table|json] [--data DIR | --server URL]

Detour incidents: consecutive detours of one cause (vantage point, destination /24 or /48, foreign
countries and ASNs), newest first; \`show\` prints one with its baselines and its traces as evidence.

  --state S           open or closed
  --since WHEN        seen at or after this time: ISO 8601 or a duration back from now (7d)
  --until WHEN        seen before this time
  --via CC|ASN        through this foreign country (CN) or AS (AS4134); twice for both
  --agent ID          seen by this agent
  --target IP         to the prefix of this address
  --limit N           rows (default 50, at most 1000); with show: --traces N evidence traces (default 20)
  --format F          table (default) or json
  --data DIR          read the store in DIR (default ./data)                    DETOURWATCH_DATA
  --server URL        read a coordinator's API instead                          DETOURWATCH_SERVER`;

function parse(args: string[]) {
  return parseCommandLine(
    {
      args,
      strict: true,
      allowPositionals: true,
      options: {
        state: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        via: { type: 'string', multiple: true },
        agent: { type: 'string' },
        target: { type: 'string' },
        limit: { type: 'string' },
        traces: { type: 'string' },
        format: { type: 'string' },
        data: { type: 'string' },
        server: { type: 'string' },
      },
    },
    USAGE,
  );
}

function detailText(d: IncidentDetail, traces: TraceItem[], more: boolean): string {
  const lines = [
    `incident #${d.id} (${d.state}): ${d.subject} -> ${d.destinationPrefix} via ${via(d.countries, d.asns)}`,
    `  first seen ${d.firstSeen}, last seen ${d.lastSeen}${d.closedAt ? `, closed ${d.closedAt}` : ''}`,
    `  ${d.traceCount} traces (${d.confirmedCount} confirmed)${d.lastClearAt ? `; a domestic path was seen again at ${d.lastClearAt}` : ''}`,
    '',
  ];
  if (d.baselines.length > 0) {
    lines.push('Baselines (normal path -> latest):');
    for (const b of d.baselines) {
      const normal = b.normal
        ? `${b.normal.countries.join(' ')} ${(b.normal.asns ?? []).map((a) => `AS${a}`).join(' ')}`
        : 'none seen';
      const latest = `${b.latest.verdict}: ${b.latest.countries.join(' ')} ${(b.latest.asns ?? []).map((a) => `AS${a}`).join(' ')}`;
      lines.push(
        `  ${cellText(b.target)}: ${normal.trim()} -> ${latest.trim()}${b.changed ? '  (changed)' : ''}`,
      );
    }
    lines.push('');
  }
  lines.push('Evidence:');
  const table = renderTable(
    ['TRACE', 'STARTED', 'VERDICT', 'CONFIDENCE', 'DESTINATION', 'VIA'],
    traces.map((t) => [
      String(t.id),
      t.startedAt,
      t.verdict,
      t.confidence ?? '-',
      cellText(t.destinationName ?? t.destinationIp),
      via(t.foreignCountries, t.foreignAsns),
    ]),
  );
  return `${lines.join('\n')}\n${table}${more ? '(more traces: raise --traces)\n' : ''}`;
}

export const incidentsCommand: Command = {
  name: 'incidents',
  summary: 'list detour incidents, or show one with its evidence',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parse(args);
    const format = values.format ?? 'table';
    if (format !== 'table' && format !== 'json') {
      throw new DetourwatchError('USAGE', `--format must be table or json, not "${format}"`);
    }
    const [sub, idText, ...extra] = positionals;
    if (
      (sub !== undefined && sub !== 'show') ||
      extra.length > 0 ||
      (sub === 'show' && idText === undefined)
    ) {
      throw new DetourwatchError('USAGE', USAGE);
    }
    let query: Record<string, string>;
    let id: number | null = null;
    try {
      query = detourQuery({ ...values, confidence: undefined });
      if (values.state !== undefined) query.state = values.state;
      if (sub === 'show') id = parseIntIn('id', idText ?? '', 1, Number.MAX_SAFE_INTEGER);
      if (values.traces !== undefined) parseIntIn('traces', values.traces, 1, 1000);
    } catch (err) {
      throw asUsageError(err);
    }
    const source = openCliSource(values, process.env);
    try {
      if (id !== null) {
        const detail = await source.incident(id);
        if (detail === null) throw new DetourwatchError('NOT_FOUND', `no incident #${id}`);
        const traces = await source.incidentTraces(id, { limit: values.traces ?? '20' });
        io.stdout.write(
          format === 'json'
            ? `${JSON.stringify({ ...detail, traces: traces.items }, null, 2)}\n`
            : detailText(detail, traces.items, traces.nextCursor !== null),
        );
        return 0;
      }
      const page = await source.incidents({ ...query, limit: values.limit ?? '50' });
      if (format === 'json') {
        io.stdout.write(
          `${JSON.stringify({ incidents: page.items, nextCursor: page.nextCursor }, null, 2)}\n`,
        );
      } else if (page.items.length === 0) {
        io.stdout.write('No incident matches.\n');
      } else {
        io.stdout.write(incidentTable(page.items));
        if (page.nextCursor !== null)
          io.stderr.write(`(${page.items.length} shown, more match: raise --limit)\n`);
      }
      return 0;
    } catch (err) {
      throw asUsageError(err);
    } finally {
      await source.close();
    }
  },
};
