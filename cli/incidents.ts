import { DetourwatchError } from '../protocol/errors.ts';
import type { IncidentDetail, TraceItem } from '../protocol/history-api.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseChoice } from '../protocol/values/choice.ts';
import { parseIntIn } from '../protocol/values/number.ts';
import { quote } from '../protocol/values/quote.ts';
import { asUsageError, openCliSource } from '../server/history/cli-source.ts';
import { incidentTarget } from '../server/history/param-parsers.ts';
import { describeUsual } from '../server/incidents/baseline.ts';
import { FILTER_OPTIONS, filterQuery } from './detours.ts';
import type { CliIo, Command } from './io.ts';
import { cellText, incidentTable, renderTable, via } from './text-table.ts';

const USAGE = `Usage: detourwatch incidents [options]
       detourwatch incidents show ID [--traces N] [--format table|json] [--data DIR | --database URL | --server URL]
       detourwatch incidents export ID --out FILE [--html FILE] [--data DIR | --database URL | --server URL]

Detour incidents: consecutive detours of one cause (vantage point, destination /24 or /48, foreign
countries and ASNs), newest first; \`show\` prints one with its baselines and its traces as evidence;
\`export\` writes its signed evidence bundle (\`detourwatch bundle --help\` says what it holds).

  --state S           open or closed
  --since WHEN        seen at or after this time: ISO 8601 or a duration back from now (7d)
  --until WHEN        seen before this time
  --via CC|ASN        through this foreign country (CN) or AS (AS4134); twice for both
  --agent ID          seen by this agent
  --target IP         to the prefix of this address
  --limit N           rows (default 50, at most 1000); with show: --traces N evidence traces (default 20)
  --format F          table (default) or json
  --data DIR          read the store in DIR (default ./data)                    DETOURWATCH_DATA
  --database URL      read a PostgreSQL store (as serve --database)             DETOURWATCH_DATABASE_URL
  --server URL        read a coordinator's API instead                          DETOURWATCH_SERVER`;

const INCIDENT_OPTIONS = {
  ...FILTER_OPTIONS,
  target: { type: 'string', parse: incidentTarget },
  state: { type: 'string', parse: (t: string) => parseChoice(t, ['open', 'closed'] as const) },
  traces: { type: 'string', parse: (t: string) => String(parseIntIn(t, 1, 1000)) },
} as const satisfies OptionSpecs;

function detailText(d: IncidentDetail, traces: TraceItem[], more: boolean): string {
  const lines = [
    `incident #${d.id} (${d.state}): ${d.subject} -> ${d.destinationPrefix} via ${via(d.countries, d.asns)}`,
    `  first seen ${d.firstSeen}, last seen ${d.lastSeen}${d.closedAt ? `, closed ${d.closedAt}` : ''}`,
    `  ${d.traceCount} traces (${d.confirmedCount} confirmed)${d.lastClearAt ? `; a domestic path was seen again at ${d.lastClearAt}` : ''}`,
    d.corroborated
      ? `  corroborated at ${d.corroboratedAt} by independent witnesses (${d.witnesses} count)`
      : `  single witness: not yet corroborated by independent verified vantage points (${d.witnesses} count); no alert sent`,
    '',
  ];
  if (d.witnessList.length > 0) {
    lines.push('Witnesses:');
    lines.push(
      ...renderTable(
        ['VANTAGE', 'OWNER', 'NETWORK', 'ASN', 'CITY', 'LOCATION', 'TRACES', 'LAST SEEN'],
        d.witnessList.map((w) => [
          cellText(w.subject, 32),
          cellText(w.owner ?? '-', 24),
          w.addressPrefix ?? '-',
          w.asn === null ? '-' : `AS${w.asn}`,
          cellText(w.city ?? '-', 20),
          w.locationStatus,
          String(w.traces),
          w.lastSeen,
        ]),
      )
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
      '',
    );
  }
  if (d.baselines.length > 0) {
    lines.push('Baselines (usual path, its share of the recent window -> latest):');
    for (const b of d.baselines) {
      const normal = b.normal ? `${b.normal.countries.join(' ')}, ${describeUsual(b.normal)}` : 'none seen';
      const latest = `${b.latest.verdict}: ${b.latest.countries.join(' ')} ${(b.latest.asns ?? []).map((a) => `AS${a}`).join(' ')}`;
      lines.push(
        `  ${cellText(b.target)}: ${normal.trim()} -> ${latest.trim()}${b.changed ? '  (changed)' : ''}`,
      );
      if (b.routers)
        lines.push(
          `    routers: ${b.routers.hops.map((h) => cellText(h ?? '*')).join(' ')} (${Math.round(b.routers.share * 100)}% of ${b.routers.of})`,
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
    if (args[0] === 'export')
      return (await import('./bundle.ts')).exportBundle('incident', args.slice(1), io);
    const { values, positionals, problems } = readOptions(INCIDENT_OPTIONS, args, process.env, {
      allowPositionals: true,
    });
    const format = values.format ?? 'table';
    // The wording scripts match; the other flags say `--flag: "value" is not ...`.
    if (format !== 'table' && format !== 'json')
      problems.add(`--format must be table or json, not "${format}"`);
    const [sub, idText, ...extra] = positionals;
    let id: number | null = null;
    if (sub !== undefined && sub !== 'show')
      problems.add(`unknown subcommand ${quote(sub)} (show ID or export ID)`);
    else if (sub === 'show' && idText === undefined) problems.add('show needs the incident ID');
    else if (sub === 'show')
      id = problems.check('ID', () => parseIntIn(idText ?? '', 1, Number.MAX_SAFE_INTEGER)) ?? null;
    if (extra.length > 0) problems.add(`unexpected argument ${quote(extra[0] as string)}`);
    const { query, problem } = filterQuery(values);
    if (problem !== null) problems.add(problem);
    if (values.state !== undefined) query.state = values.state;
    problems.throwIfAny('incidents');
    const source = await openCliSource(values, process.env);
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
