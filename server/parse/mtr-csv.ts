/**
 * `mtr --csv` (0.9x): a header `Mtr_Version,Start_Time,Status,Host,Hop,Ip,Loss%,Snt, ,Last,Avg,Best,Wrst,StDev,`
 * and one row per hop; `Host` is the traced host, `Ip` the responder (a name without -n), `Asn` appears with
 * -z, and `-o` changes the figure columns, so every column is found by its title. A summary like the report:
 * Best is each hop's RTT (two decimals: a printed 0.00 is under 0.005 ms), the figures go to `hop.stats`.
 */
import type { Hop, Trace } from '../../protocol/trace.ts';
import { isoFromUnix, isShortText, parseError } from './field-checks.ts';
import { forEachLine } from './input-text.ts';
import { MAX_TTL, type ParseLimits } from './limits.ts';
import {
  figure,
  finishSummary,
  printsZero,
  readAsn,
  readHost,
  rowStats,
  STAT_COLUMNS,
  summaryHop,
} from './mtr-summary.ts';
import {
  emptyTrace,
  INTERRUPTED,
  lineTooLong,
  noiseOf,
  noiseWarning,
  quoted,
  Warnings,
  withoutInterrupt,
} from './paste-tolerance.ts';

const ZERO_MEANS_BELOW_MS = 0.005;
const MAX_COLUMNS = 64;

interface Entry {
  trace: Trace;
  hops: Map<number, Hop>;
  zeroSeen: boolean;
  rowLost: boolean;
}

export function parseMtrCsv(text: string, limits: ParseLimits): Trace[] {
  const warnings = new Warnings();
  let columns: string[] | null = null;
  const traces = new Map<string, Entry>();

  forEachLine(text, (raw, lineNumber) => {
    if (raw.length > limits.maxTextLineChars) throw lineTooLong(lineNumber, raw.length, limits);
    const { line: untrimmed, interrupted } = withoutInterrupt(raw);
    if (interrupted) warnings.line(lineNumber, INTERRUPTED);
    const line = untrimmed.trim();
    if (line === '') return;
    if (line.startsWith('Mtr_Version,')) {
      const titles = line.split(',').map((c) => c.trim());
      // mtr writes about fifteen columns; thousands are not its header, and would cost every row a long scan.
      if (titles.length > MAX_COLUMNS)
        throw parseError(`line ${lineNumber}`, `${titles.length} CSV columns: not mtr's header`);
      columns = titles;
      return;
    }
    const noise = noiseOf(line);
    if (columns === null || noise !== null) {
      warnings.line(
        lineNumber,
        noise !== null ? noiseWarning(noise, line) : `skipped ${quoted(line)}: before the CSV header`,
      );
      return;
    }
    const problem = row(columns, line.split(','), traces);
    const last = [...traces.values()].at(-1);
    if (last !== undefined) last.rowLost = problem !== null;
    if (problem !== null) warnings.line(lineNumber, `skipped ${quoted(line)}: ${problem}`);
  });
  if (traces.size === 0) {
    const why = warnings.first(1)[0] ?? 'no rows';
    throw parseError('mtr CSV', `no mtr --csv rows after a "Mtr_Version,..." header (${why})`);
  }
  const out: Trace[] = [];
  for (const { trace, hops, zeroSeen, rowLost } of traces.values()) {
    trace.hops = [...hops.values()].sort((a, b) => a.ttl - b.ttl);
    finishSummary(trace, {
      what: 'mtr --csv',
      zeroReadAs: zeroSeen ? ZERO_MEANS_BELOW_MS : null,
      namesHint: 'run mtr with -n',
      lastRowLost: rowLost,
    });
    out.push(trace);
  }
  warnings.flushInto(out[0] as Trace);
  return out;
}

function row(columns: string[], cells: string[], traces: Map<string, Entry>): string | null {
  const cell = (name: string) => {
    const i = columns.indexOf(name);
    return i === -1 ? undefined : cells[i]?.trim();
  };
  const figures = new Map<string, number>();
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i] as string;
    if (!STAT_COLUMNS.has(name)) continue;
    const value = figure(cells[i]?.trim() ?? '');
    if (value === null) return `${name} is not a number (the row is cut off?)`;
    figures.set(name, value);
  }
  const ttl = Number(cell('Hop'));
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) return `Hop must be a TTL 1-${MAX_TTL}`;
  const target = cell('Host') ?? '';
  const started = cell('Start_Time') ?? '';
  const key = `${target}\u0000${started}`;
  let entry = traces.get(key);
  if (entry === undefined) {
    const trace = emptyTrace('mtr', 'unknown', 'csv');
    const dst = readHost(target);
    if (dst !== null) trace.destination = { ...dst };
    trace.startedAt = /^\d{1,12}$/.test(started) ? isoFromUnix(Number(started)) : null;
    const version = cell('Mtr_Version');
    if (version !== undefined && isShortText(version)) trace.meta = { ...trace.meta, mtr_version: version };
    entry = { trace, hops: new Map(), zeroSeen: false, rowLost: false };
    traces.set(key, entry);
  }
  if (entry.hops.has(ttl)) return `hop ${ttl} is listed twice`;
  const stats = rowStats(figures, ZERO_MEANS_BELOW_MS);
  if (printsZero(figures)) entry.zeroSeen = true;
  if (typeof stats === 'string') return stats;
  const ip = cell('Ip') ?? '';
  const host = ip === '???' || ip === '' ? null : readHost(ip);
  if (host === null && ip !== '???' && ip !== '') return `${quoted(ip)} is not a host`;
  const hop = summaryHop(ttl, host, stats);
  const asn = readAsn(cell('Asn') ?? '');
  const reply = hop.replies[0];
  if (asn !== undefined && reply !== undefined && reply.rttMs !== null) reply.asn = asn;
  entry.hops.set(ttl, hop);
  return null;
}
