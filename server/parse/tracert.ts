/**
 * Windows `tracert` (with and without `-d`, IPv4 and IPv6):
 *   Tracing route to example.com [93.184.216.34]        (or, for an address: "Tracing route to 8.8.8.8 over a
 *   over a maximum of 30 hops:                           maximum of 30 hops" on one line)
 *     1    <1 ms    <1 ms    <1 ms  192.168.1.1
 *     2    10 ms     *       11 ms  isp.example.net [203.0.113.1]
 *     3     *        *        *     Request timed out.
 *     4  192.0.2.1  reports: Destination host unreachable.
 *   Trace complete.
 * Always three ICMP echo probes per TTL. Times are whole milliseconds and `<1 ms` is a reply under one: the
 * physics reads it as 1 ms, the largest value it stands for. Hop lines read the same in every language;
 * a header in another language ("Routenverfolgung zu ... über maximal 30 Hops:") gives its target address and
 * a warning, and the timeout text ("Zeitüberschreitung der Anforderung.") needs no translation: three stars
 * say it.
 */
import { parseIp } from '../../protocol/address/parse.ts';
import type { IpVersion, Reply, ReplyFlag, Trace } from '../../protocol/trace.ts';
import { isShortText, parseError } from './field-checks.ts';
import { HopCollector } from './hop-collector.ts';
import { forEachLine } from './input-text.ts';
import { MAX_RTT_MS, MAX_TTL, type ParseLimits } from './limits.ts';
import {
  emptyTrace,
  INTERRUPTED,
  lineTooLong,
  noiseOf,
  noiseWarning,
  printedRtt,
  quoted,
  Warnings,
  withoutInterrupt,
} from './paste-tolerance.ts';

const PROBE = String.raw`(\*|<?\d{1,7} ?(?:ms|мс))`;
const HOP = new RegExp(String.raw`^\s*(\d{1,3})\s+${PROBE}\s+${PROBE}\s+${PROBE}(?:\s+(\S.*?))?\s*$`);
const REPORTS = /^\s*(\d{1,3})\s+(\S+)\s+reports:\s*(.*?)\s*$/;
/** A hop line the copy cut off: its number and fewer than three probe fields. */
const PARTIAL = new RegExp(String.raw`^\s*(\d{1,3})(?:\s+${PROBE}){0,3}\s*$`);
const HEADER_EN = /^\s*Tracing route to (\S+)(?: \[([^\]\s]+)\])?(?: over a maximum of (\d{1,3}) hops)?\s*$/;
const MAXIMUM_EN = /^\s*over a maximum of (\d{1,3}) hops:?\s*$/;
const HEADER_DE = /^\s*Routenverfolgung zu (\S+)(?: \[([^\]\s]+)\])?(?: über maximal (\d{1,3}) Hops)?\s*$/;
const MAXIMUM_DE = /^\s*(?:über|ueber) maximal (\d{1,3}) (?:Hops|Abschnitte):?\s*$/;
const FOOTERS = new Set(['Trace complete.', 'Ablaufverfolgung beendet.']);

/** tracert's "reports:" texts, by what they mean. */
function reportedFlag(text: string): ReplyFlag {
  const t = text.toLowerCase();
  if (t.includes('host unreachable')) return 'host-unreachable';
  if (t.includes('net unreachable') || t.includes('network unreachable')) return 'network-unreachable';
  if (t.includes('protocol unreachable')) return 'protocol-unreachable';
  if (t.includes('port unreachable')) return 'port-unreachable';
  if (t.includes('prohibited')) return 'admin-prohibited';
  return 'other';
}

interface Host {
  address: string | null;
  name?: string;
}

/** `192.0.2.1`, `name [192.0.2.1]`, or a bare name (an address tracert could not print is not one). */
function readHost(text: string): Host | null {
  const ip = parseIp(text);
  if (ip !== null) return { address: ip.address };
  const m = /^(\S+) \[([^\]\s]+)\]$/.exec(text);
  if (m === null) return null;
  const inner = parseIp(m[2] as string);
  if (inner === null || !isShortText(m[1] as string)) return null;
  return { address: inner.address, name: m[1] as string };
}

function probeRtt(field: string): number | null {
  if (field === '*') return null;
  const below = field.startsWith('<');
  const n = Number.parseInt(below ? field.slice(1) : field, 10);
  return below ? n : printedRtt(n, 1);
}

export function parseTracert(text: string, limits: ParseLimits): Trace[] {
  const warnings = new Warnings();
  const traces: Trace[] = [];
  let trace: Trace | null = null;
  let hops: HopCollector | null = null;
  let belowOne = false;
  let lastTtl = 0;
  let reachedFooter = false;
  let rowLost = false;
  let rejected: string | null = null;

  const finish = () => {
    if (trace === null || hops === null) return;
    trace.hops = hops.hops();
    warnings.flushInto(trace);
    finishTrace(trace, belowOne, rowLost);
    traces.push(trace);
    trace = null;
    hops = null;
    belowOne = false;
    lastTtl = 0;
    reachedFooter = false;
    rowLost = false;
  };
  const begin = (lineNumber: number): Trace => {
    finish();
    trace = emptyTrace('traceroute', 'icmp', 'windows-tracert');
    trace.probing = { attemptsPerHop: 3 };
    hops = new HopCollector(`trace starting on line ${lineNumber}`, limits.maxRepliesPerHop);
    return trace;
  };

  forEachLine(text, (raw, lineNumber) => {
    if (raw.length > limits.maxTextLineChars) throw lineTooLong(lineNumber, raw.length, limits);
    const { line, interrupted } = withoutInterrupt(raw);
    if (interrupted) warnings.line(lineNumber, INTERRUPTED);
    if (line.trim() === '') return;

    const hop = HOP.exec(line);
    if (hop) {
      const ttl = Number(hop[1]);
      // tracert counts its hops up from 1 under its header: a number that does not rise is no hop of this trace.
      if (trace !== null && !reachedFooter && ttl <= lastTtl) {
        rowLost = true;
        warnings.line(lineNumber, `skipped ${quoted(line)}: hop ${ttl} after hop ${lastTtl}`);
        return;
      }
      if (trace === null || reachedFooter) begin(lineNumber);
      const problem = hopLine(hops as HopCollector, ttl, [hop[2], hop[3], hop[4]] as string[], hop[5]);
      rowLost = problem !== null;
      if (problem !== null) warnings.line(lineNumber, `skipped ${quoted(line)}: ${problem}`);
      else {
        lastTtl = ttl;
        if (/<1/.test(line)) belowOne = true;
      }
      return;
    }
    const reports = REPORTS.exec(line);
    if (reports) {
      const ttl = Number(reports[1]);
      if (trace !== null && !reachedFooter && ttl <= lastTtl) {
        warnings.line(lineNumber, `skipped ${quoted(line)}: hop ${ttl} after hop ${lastTtl}`);
        return;
      }
      if (trace === null || reachedFooter) begin(lineNumber);
      const host = readHost(reports[2] as string);
      if (host === null || ttl < 1 || ttl > MAX_TTL) {
        warnings.line(lineNumber, `skipped ${quoted(line)}: not a tracert hop`);
        return;
      }
      const reply: Reply = { address: host.address, rttMs: null, flag: reportedFlag(reports[3] as string) };
      if (host.name !== undefined) reply.name = host.name;
      reply.rawFlag = (reports[3] as string).slice(0, 64);
      (hops as HopCollector).add(ttl, reply);
      lastTtl = ttl;
      return;
    }
    const header = HEADER_EN.exec(line) ?? HEADER_DE.exec(line);
    if (header) {
      header_(begin(lineNumber), header);
      return;
    }
    const maximum = MAXIMUM_EN.exec(line) ?? MAXIMUM_DE.exec(line);
    if (maximum && trace !== null && lastTtl === 0) {
      (trace as Trace).probing = { ...(trace as Trace).probing, maxTtl: Number(maximum[1]) };
      return;
    }
    if (FOOTERS.has(line.trim()) && trace !== null) {
      reachedFooter = true;
      return;
    }
    if (PARTIAL.test(line) && trace !== null) {
      rowLost = true;
      warnings.line(lineNumber, `skipped ${quoted(line)}: the hop line is cut off`);
      return;
    }
    const noise = noiseOf(line);
    if (noise !== null) {
      warnings.line(lineNumber, noiseWarning(noise, line));
      return;
    }
    // A header in a language this parser does not know: the target is the address in it.
    if (lastTtl === 0) {
      const target = foreignHeader(line);
      if (target !== null) {
        const t = trace ?? begin(lineNumber);
        if (t.destination.address === null) {
          t.destination = target;
          warnings.line(
            lineNumber,
            `${quoted(line)} is not an English tracert header: read the target ${target.address} from it`,
          );
          return;
        }
      }
    }
    rejected ??= `line ${lineNumber}: ${quoted(line)}`;
    warnings.line(lineNumber, `skipped ${quoted(line)}: not tracert output`);
  });
  finish();
  warnings.flushLeftover(traces);
  if (traces.length === 0 || traces.every((t) => t.hops.length === 0)) {
    throw parseError(
      'tracert',
      `no tracert hop lines found (lines like "  1    <1 ms    <1 ms    <1 ms  192.168.1.1")${rejected ? `; first unread ${rejected}` : ''}`,
    );
  }
  return traces.filter((t) => t.hops.length > 0);
}

function header_(trace: Trace, m: RegExpExecArray): void {
  const named = m[1] as string;
  const address = parseIp(m[2] ?? named);
  trace.destination = { address: address?.address ?? null };
  if (m[2] !== undefined && isShortText(named)) trace.destination.name = named;
  if (m[3] !== undefined) trace.probing = { ...trace.probing, maxTtl: Number(m[3]) };
}

/** `Xyz name [192.0.2.1]` or `Xyz 192.0.2.1 ...`: the address a header names, in whatever language. */
function foreignHeader(line: string): Trace['destination'] | null {
  // Tried only where a token starts (same leftmost match): unanchored, `\S+` rescanned a 64 KiB line from
  // every position, seconds of backtracking (found by test/fuzz).
  const bracket = /(?<!\S)(\S+) \[([^\]\s]+)\]/.exec(line);
  if (bracket) {
    const ip = parseIp(bracket[2] as string);
    if (ip !== null) {
      const dst: Trace['destination'] = { address: ip.address };
      if (isShortText(bracket[1] as string)) dst.name = bracket[1] as string;
      return dst;
    }
  }
  for (const token of line.trim().split(/\s+/)) {
    const ip = parseIp(token);
    if (ip !== null) return { address: ip.address };
  }
  return null;
}

/** One hop line's three probes and what follows them. Returns why the line cannot be read, or null. */
function hopLine(hops: HopCollector, ttl: number, probes: string[], rest: string | undefined): string | null {
  if (ttl < 1 || ttl > MAX_TTL) return `hop ${ttl} is outside 1-${MAX_TTL}`;
  const rtts = probes.map(probeRtt);
  if (rtts.some((r) => r !== null && r > MAX_RTT_MS)) return 'not a round-trip time';
  let host: Host | null = null;
  let flag: { flag: ReplyFlag; raw: string } | null = null;
  if (rest !== undefined) {
    const reports = /^(\S+)\s+reports:\s*(.*)$/.exec(rest);
    host = readHost(reports ? (reports[1] as string) : rest);
    if (reports && host !== null)
      flag = { flag: reportedFlag(reports[2] as string), raw: (reports[2] as string).slice(0, 64) };
  }
  const answered = rtts.some((r) => r !== null);
  // Three stars and any text ("Request timed out.", "Zeitüberschreitung der Anforderung."): nobody answered.
  if (host === null && answered)
    return rest === undefined ? 'no responder after the times' : `${quoted(rest)} is not a host`;
  for (const rttMs of rtts) {
    if (rttMs === null || host === null) {
      hops.add(ttl, { address: null, rttMs: null });
      continue;
    }
    const reply: Reply = { address: host.address, rttMs };
    if (host.name !== undefined) reply.name = host.name;
    if (flag !== null) {
      reply.flag = flag.flag;
      reply.rawFlag = flag.raw;
    }
    hops.add(ttl, reply);
  }
  return null;
}

function finishTrace(trace: Trace, belowOne: boolean, lastHopLost: boolean): void {
  const notes: string[] = [];
  let version: IpVersion | undefined =
    trace.destination.address === null ? undefined : parseIp(trace.destination.address)?.version;
  for (const hop of trace.hops)
    for (const r of hop.replies) if (r.address !== null) version ??= parseIp(r.address)?.version;
  trace.ipVersion = version ?? 4;
  if (trace.destination.address === null) {
    const last = trace.hops[trace.hops.length - 1];
    const reply = last?.replies.find((r) => r.address !== null);
    if (lastHopLost) {
      notes.push('no "Tracing route to" line, and the last hop line could not be read: destination unknown');
    } else if (reply !== undefined && reply.flag === undefined) {
      trace.destination = { address: reply.address };
      notes.push(`no "Tracing route to" line: the target is taken as the last hop's ${reply.address}`);
    } else {
      notes.push('no "Tracing route to" line and no answer at the last hop: destination unknown');
    }
  }
  if (belowOne) notes.push('tracert prints "<1 ms" for replies under a millisecond: read as 1 ms, the bound');
  if (notes.length > 0) trace.warnings = [...(trace.warnings ?? []), ...notes];
}
