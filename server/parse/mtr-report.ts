/**
 * mtr's summary table as text: `mtr -r` / `--report` and `-rw` (`Start:` and `HOST:` lines, rows
 * `  1.|-- 192.0.2.2  0.0%  3  0.1 ...`), `-b` (`name (address)`), `-z` (an `AS???` column, rows without `|--`),
 * `-e` (`[MPLS: Lbl 21 TC 0 S 1 TTL 1]` lines), `-o` (other columns: they are read by their header), and a copy
 * of mtr's interactive screen (`My traceroute [v0.95]`, `name (address) -> target (address)`, ` Host  Loss% ...`).
 * Further responders of a TTL come on lines of their own under its row, without figures.
 *
 * A summary carries aggregates, not probes: each responder becomes one reply whose RTT is Best (the fastest of
 * Snt probes is the tightest distance bound), and the row's figures go to `hop.stats`. The report does not name
 * the traced host; mtr ends its table at the first TTL the target answered, so an answering last row is taken
 * as the destination (and said so). Without `-n` or `-b` mtr prints names only: such replies have no address.
 */
import { parseIp } from '../../protocol/address/parse.ts';
import type { Hop, MplsLabel, Reply, Trace } from '../../protocol/trace.ts';
import { isShortText, parseError } from './field-checks.ts';
import { forEachLine } from './input-text.ts';
import { MAX_MPLS_LABELS, MAX_TTL, type ParseLimits } from './limits.ts';
import { mtrMplsLine } from './mpls-lines.ts';
import {
  figure,
  finishSummary,
  type Host,
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
  isoTime,
  lineTooLong,
  noiseOf,
  noiseWarning,
  quoted,
  Warnings,
  withoutInterrupt,
} from './paste-tolerance.ts';

/** One decimal: a printed 0.0 is a reply faster than 0.05 ms. */
const ZERO_MEANS_BELOW_MS = 0.05;

const HEADER =
  /^\s*(HOST:\s*(\S*)|Host)\s+(Loss%|Drop|Rcv|Snt|Last|Best|Avg|Wrst|StDev|Gmean|Jttr|Javg|Jmax|Jint)(?=\s|$)/;
const START = /^\s*Start:\s*(\S.*)$/;
const SCREEN_TITLE = /^\s*My traceroute\s+\[v?([\w.]+)\]\s*$/;
/** `vm (192.0.2.1) -> 192.0.2.10 (192.0.2.10)   2026-12-04T18:32:11+0000` (0.94+), or without the target. */
const SCREEN_ENDPOINTS = /^(\S+) \(([^()\s]+)\)(?: -> (\S+) \(([^()\s]+)\))?(?:\s+(\S+))?\s*$/;
const SCREEN_CHROME = /^\s*(?:Keys:\s|Packets\s+Pings\s*$)/;
const ROW = /^\s*(\d{1,3})\.(\|--)?\s+(\S.*)$/;
const EXTRA_RESPONDER = /^\s*(?:\|\s+`\|--\s+(\S.*)|(AS(?:\d{1,10}|\?\?\?))\s+(\S.*))$/;

class ReportBuilder {
  readonly trace: Trace;
  readonly hops = new Map<number, Hop>();
  columns: string[] = [];
  lastHop: Hop | null = null;
  lastReply: Reply | null = null;
  stack: MplsLabel[] | null = null;
  zeroSeen = false;
  /** The last line that was a row could not be read. */
  rowLost = false;
  /** The stack's last entry had its bottom-of-stack bit printed as `u`: it is the bottom until one follows. */
  unknownBottom = false;

  constructor(variant: 'report' | 'screen') {
    this.trace = emptyTrace('mtr', 'unknown', variant);
  }
}

export function parseMtrReport(text: string, limits: ParseLimits): Trace[] {
  const traces: Trace[] = [];
  const warnings = new Warnings();
  let current: ReportBuilder | null = null;
  /** A `Start:` time or screen header seen before the table header it belongs to. */
  let pending: ReportBuilder | null = null;
  let rejected: string | null = null;

  const finish = () => {
    if (current === null) return;
    warnings.flushInto(current.trace);
    const trace = finishReport(current);
    traces.push(trace);
    current = null;
  };
  const opening = (variant: 'report' | 'screen'): ReportBuilder => {
    if (pending === null || current !== null) {
      finish();
      pending = new ReportBuilder(variant);
    }
    return pending;
  };

  forEachLine(text, (raw, lineNumber) => {
    if (raw.length > limits.maxTextLineChars) throw lineTooLong(lineNumber, raw.length, limits);
    const { line, interrupted } = withoutInterrupt(raw);
    if (interrupted) warnings.line(lineNumber, INTERRUPTED);
    if (line.trim() === '') return;

    const start = START.exec(line);
    if (start) {
      const b = opening('report');
      b.trace.startedAt = isoTime(start[1] as string);
      // Older mtr wrote a local time without its zone ("Start: Thu Mar  4 12:00:00 2021"): kept as text.
      const said = (start[1] as string).slice(0, 64);
      if (b.trace.startedAt === null && isShortText(said)) b.trace.meta = { ...b.trace.meta, start: said };
      return;
    }
    const title = SCREEN_TITLE.exec(line);
    if (title) {
      const b = opening('screen');
      b.trace.meta = { variant: 'screen', mtr_version: (title[1] as string).slice(0, 16) };
      return;
    }
    if (pending !== null && pending.trace.meta?.variant === 'screen' && current === null) {
      const ends = SCREEN_ENDPOINTS.exec(line);
      if (ends) {
        screenEndpoints(pending, ends);
        return;
      }
      if (SCREEN_CHROME.test(line)) return;
    }
    const header = HEADER.exec(line);
    if (header) {
      finish();
      const b = pending ?? new ReportBuilder(header[1] === 'Host' ? 'screen' : 'report');
      pending = null;
      current = b;
      const host = header[2];
      if (host && isShortText(host)) b.trace.source = { ...b.trace.source, name: host };
      const label = header[1] as string;
      b.columns = line
        .slice(line.indexOf(label) + label.length)
        .trim()
        .split(/\s+/);
      if (!b.columns.every((c) => STAT_COLUMNS.has(c))) {
        warnings.line(lineNumber, `unknown mtr columns in ${quoted(line)}: only the known ones are read`);
      }
      return;
    }
    const b = current as ReportBuilder | null;
    if (b === null) {
      const noise = noiseOf(line);
      if (noise !== null) warnings.line(lineNumber, noiseWarning(noise, line));
      else {
        rejected ??= `line ${lineNumber}: ${quoted(line)} comes before any mtr table header ("HOST: ...  Loss%  Snt ...")`;
        warnings.line(lineNumber, `skipped ${quoted(line)}: not part of an mtr report`);
      }
      return;
    }
    const problem = tableLine(b, line);
    if (problem !== null) warnings.line(lineNumber, problem);
  });
  finish();
  warnings.flushLeftover(traces);
  if (traces.length === 0) {
    const why = rejected ?? warnings.first(1)[0] ?? 'no table header';
    throw parseError('mtr report', `no mtr report table found (${why})`);
  }
  const empty = traces.find((t) => t.hops.length === 0);
  if (empty !== undefined && traces.length === 1) {
    throw parseError(
      'mtr report',
      `the table has no rows (${empty.warnings?.[0] ?? 'nothing after its header'})`,
    );
  }
  return traces;
}

function screenEndpoints(b: ReportBuilder, m: RegExpExecArray): void {
  const src = parseIp(m[2] as string);
  b.trace.source = { address: src?.address ?? null, ...(isShortText(m[1] as string) ? { name: m[1] } : {}) };
  if (m[4] !== undefined) {
    const dst = parseIp(m[4]);
    b.trace.destination = { address: dst?.address ?? null };
    if (m[3] !== m[4] && isShortText(m[3] as string)) b.trace.destination.name = m[3];
  }
  if (m[5] !== undefined) b.trace.startedAt = isoTime(m[5]);
}

/** One line inside a table: a row, a further responder, an MPLS line. Returns a warning, or null. */
function tableLine(b: ReportBuilder, line: string): string | null {
  const mpls = mtrMplsLine(line);
  if (mpls !== undefined) {
    if (mpls === null) return `skipped ${quoted(line)}: not an MPLS label mtr prints`;
    if (b.lastReply === null) return `skipped ${quoted(line)}: an MPLS label before any responder`;
    // mtr prints a responder's whole stack on consecutive lines, under that responder.
    if (b.stack === null) {
      b.stack = [];
      b.lastReply.mpls = b.stack;
    }
    if (b.stack.length >= MAX_MPLS_LABELS) return `skipped ${quoted(line)}: more labels than any stack holds`;
    const below = b.stack[b.stack.length - 1];
    if (below !== undefined && b.unknownBottom) below.s = false;
    b.unknownBottom = mpls.s === null;
    b.stack.push({ ...mpls, s: mpls.s ?? true });
    return null;
  }
  b.stack = null;
  const row = ROW.exec(line);
  if (row) {
    const problem = tableRow(b, Number(row[1]), row[3] as string, line);
    b.rowLost = problem !== null;
    return problem;
  }
  const extra = EXTRA_RESPONDER.exec(line);
  if (extra && b.lastHop !== null) {
    const host = readHost(((extra[1] ?? extra[3]) as string).trim());
    if (host === null) return `skipped ${quoted(line)}: not a host`;
    const reply = replyOf(host, null);
    const asn = extra[2] === undefined ? undefined : readAsn(extra[2]);
    if (asn !== undefined) reply.asn = asn;
    b.lastHop.replies.push(reply);
    b.lastReply = reply;
    return null;
  }
  // The screen lists further responders of a TTL as bare names or addresses, indented under its row.
  const bare = line.trim();
  if (b.trace.meta?.variant === 'screen' && b.lastHop !== null && /^\s{3,}\S+$/.test(line)) {
    const host = readHost(bare);
    if (host !== null) {
      const reply = replyOf(host, null);
      b.lastHop.replies.push(reply);
      b.lastReply = reply;
      return null;
    }
  }
  const noise = noiseOf(line);
  if (noise !== null) return noiseWarning(noise, line);
  return `skipped ${quoted(line)}: not an mtr report row`;
}

function replyOf(host: Host, rttMs: number | null): Reply {
  const reply: Reply = { address: host.address, rttMs };
  if (host.name !== undefined) reply.name = host.name;
  return reply;
}

function tableRow(b: ReportBuilder, ttl: number, rest: string, line: string): string | null {
  if (ttl < 1 || ttl > MAX_TTL) return `skipped ${quoted(line)}: hop ${ttl} is outside 1-${MAX_TTL}`;
  if (b.hops.has(ttl)) return `skipped ${quoted(line)}: hop ${ttl} is listed twice`;
  const tokens = rest.trim().split(/\s+/);
  if (/^\(waiting\s+for\s+reply\)$/.test(rest.trim())) {
    addHop(b, { ttl, replies: [{ address: null, rttMs: null }] });
    return null;
  }
  const n = b.columns.length;
  if (tokens.length < n + 1) {
    return `skipped ${quoted(line)}: the row is cut off (${tokens.length - 1} of ${n} figures)`;
  }
  const values = tokens.slice(tokens.length - n).map(figure);
  const bad = values.indexOf(null);
  if (bad !== -1) return `skipped ${quoted(line)}: ${b.columns[bad]} is not a number`;
  let hostTokens = tokens.slice(0, tokens.length - n);
  let asn: number | undefined;
  if (/^AS(?:\d{1,10}|\?\?\?)$/.test(hostTokens[0] ?? '') && hostTokens.length > 1) {
    asn = readAsn(hostTokens[0] as string);
    hostTokens = hostTokens.slice(1);
  }
  const hostText = hostTokens.join(' ');
  const figures = new Map(b.columns.map((c, i) => [c, values[i] as number]));
  const stats = rowStats(figures, ZERO_MEANS_BELOW_MS);
  if (printsZero(figures)) b.zeroSeen = true;
  if (typeof stats === 'string') return `skipped ${quoted(line)}: ${stats}`;
  const host = hostText === '???' ? null : readHost(hostText);
  if (host === null && hostText !== '???')
    return `skipped ${quoted(line)}: ${quoted(hostText)} is not a host`;
  const hop = summaryHop(ttl, host, stats);
  addHop(b, hop);
  const reply = hop.replies[0] as Reply;
  if (reply.address !== null || reply.name !== undefined) {
    if (asn !== undefined) reply.asn = asn;
    b.lastReply = reply;
  }
  return null;
}

function addHop(b: ReportBuilder, hop: Hop): void {
  b.hops.set(hop.ttl, hop);
  b.lastHop = hop;
  b.lastReply = null;
}

function finishReport(b: ReportBuilder): Trace {
  const trace = b.trace;
  trace.hops = [...b.hops.values()].sort((x, y) => x.ttl - y.ttl);
  finishSummary(trace, {
    what: trace.meta?.variant === 'screen' ? "mtr's screen" : 'the report',
    zeroReadAs: b.zeroSeen ? ZERO_MEANS_BELOW_MS : null,
    namesHint: 'run mtr with -n or -b',
    lastRowLost: b.rowLost,
  });
  return trace;
}
