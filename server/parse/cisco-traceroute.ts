/**
 * Cisco `traceroute` on IOS, IOS-XE and IOS-XR (NX-OS prints the Linux layout: see traceroute-text.ts):
 *   Type escape sequence to abort.
 *   Tracing the route to dns.google (8.8.8.8)
 *   VRF info: (vrf in name/id, vrf out name/id)
 *     1 10.255.1.1 2 msec 1 msec *
 *     2 ae-0.r24.example.net (129.250.4.140) [MPLS: Label 316962 Exp 0] 15 msec
 *       10.180.133.125 1 msec                          (a further responder of TTL 2)
 *     3 192.0.2.9 [AS 2516] !H  *  !H
 * IOS-XR adds its prompt (`RP/0/RP0/CPU0:router#traceroute ...`) and a time line. Times are whole milliseconds:
 * a printed 0 msec is a reply under 1 ms and reads as 1 ms, the bound. `!H`, `!N`, `!P`, `!A`, `U`, `?` and
 * the like stand in place of a time for a reply that carried an error. The MPLS field carries the quoted label
 * stack (TTLs not printed: see mpls-lines.ts). The default is UDP probes, but the output does not say.
 */
import { parseIp } from '../../protocol/address/parse.ts';
import type { IpVersion, MplsLabel, Reply, ReplyFlag, Trace } from '../../protocol/trace.ts';
import { isShortText, parseError } from './field-checks.ts';
import { HopCollector } from './hop-collector.ts';
import { forEachLine } from './input-text.ts';
import { MAX_RTT_MS, MAX_TTL, type ParseLimits } from './limits.ts';
import { ciscoMplsField } from './mpls-lines.ts';
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

const ABORT = /^\s*Type escape sequence to abort\.\s*$/;
const TRACING = /^\s*Tracing the route to (\S+)(?: \(([^()\s]+)\))?\s*$/;
const VRF_INFO = /^\s*VRF info: /;
/** IOS-XR's prompt, and the time it prints before its output (`Mon Sep 30 13:23:56.830 EDT`). */
const XR_PROMPT = /^\s*RP\/\d+\/\w+\/CPU\d+:/;
const XR_TIME =
  /^\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)? \S+\s*$/i;
/** The extended (interactive) traceroute dialog: `Target IP address: 192.0.2.1`, `Probe count [3]: `. */
const DIALOG = /^\s*([A-Z][\w ,()/-]{2,60}?)(?:\s*\[[^\]]*\])?:\s*(\S*)\s*$/;
const HOP = /^\s*(\d{1,3})\s+(\S.*)$/;
const TOKEN = /\[[^\]]*\]|\([^)]*\)|\S+/g;

const CODES: Record<string, ReplyFlag> = {
  '!H': 'host-unreachable',
  H: 'host-unreachable',
  '!N': 'network-unreachable',
  N: 'network-unreachable',
  '!P': 'protocol-unreachable',
  P: 'protocol-unreachable',
  '!A': 'admin-prohibited',
  A: 'admin-prohibited',
  '!X': 'admin-prohibited',
  U: 'port-unreachable',
  '!U': 'port-unreachable',
  '!F': 'fragmentation-needed',
  '!S': 'source-route-failed',
  '?': 'other',
  Q: 'other',
  '!Q': 'other',
};

interface Host {
  address: string | null;
  name?: string;
  mpls?: MplsLabel[];
  asn?: number;
}

export function parseCiscoTraceroute(text: string, limits: ParseLimits): Trace[] {
  const warnings = new Warnings();
  const traces: Trace[] = [];
  let trace: Trace | null = null;
  let hops: HopCollector | null = null;
  let ttl = 0;
  let host: Host | null = null;
  let xr = false;
  let zeroSeen = false;
  let rowLost = false;
  let target: Trace['destination'] | null = null;
  let rejected: string | null = null;
  let dialogLines: [number, number] | null = null;
  let probing: NonNullable<Trace['probing']> = {};

  const finish = () => {
    if (trace !== null && hops !== null) {
      trace.hops = hops.hops();
      warnings.flushInto(trace);
      finishTrace(trace, zeroSeen, rowLost);
      traces.push(trace);
    }
    trace = null;
    hops = null;
    ttl = 0;
    host = null;
    zeroSeen = false;
    rowLost = false;
  };
  const begin = (lineNumber: number): void => {
    finish();
    trace = emptyTrace('traceroute', 'unknown', xr ? 'cisco-ios-xr' : 'cisco-ios');
    hops = new HopCollector(`trace starting on line ${lineNumber}`, limits.maxRepliesPerHop);
    if (target !== null) trace.destination = target;
    target = null;
    if (Object.keys(probing).length > 0) trace.probing = probing;
    probing = {};
    if (dialogLines !== null) {
      warnings.add(
        `lines ${dialogLines[0]}-${dialogLines[1]}: skipped the extended traceroute dialog (its answers were read)`,
      );
      dialogLines = null;
    }
  };

  forEachLine(text, (raw, lineNumber) => {
    if (raw.length > limits.maxTextLineChars) throw lineTooLong(lineNumber, raw.length, limits);
    const { line, interrupted } = withoutInterrupt(raw);
    if (interrupted) warnings.line(lineNumber, INTERRUPTED);
    if (line.trim() === '') return;

    if (ABORT.test(line) || VRF_INFO.test(line)) return;
    if (XR_PROMPT.test(line)) {
      warnings.line(lineNumber, noiseWarning('prompt', line));
      if (trace !== null && ttl > 0) finish();
      xr = true;
      return;
    }
    if (XR_TIME.test(line) && ttl === 0) {
      xr = true;
      return;
    }
    const tracing = TRACING.exec(line);
    if (tracing) {
      if (trace !== null && ttl > 0) finish();
      const address = parseIp(tracing[2] ?? (tracing[1] as string));
      target = { address: address?.address ?? null };
      if (tracing[2] !== undefined && isShortText(tracing[1] as string)) target.name = tracing[1] as string;
      if (trace !== null) {
        (trace as Trace).destination = target;
        target = null;
      }
      return;
    }
    const hop = HOP.exec(line);
    const continuation = hop === null && ttl > 0 && /^\s+\S/.test(line);
    if (hop !== null || continuation) {
      let rest: string;
      if (hop !== null) {
        const n = Number(hop[1]);
        if (n < 1 || n > MAX_TTL) {
          warnings.line(
            lineNumber,
            `skipped ${quoted(line)}: hop ${n} is not a TTL a probe can carry (1-${MAX_TTL})`,
          );
          return;
        }
        // Hop numbers rise under one "Tracing the route to": one that does not is no hop of this trace.
        if (trace !== null && n <= ttl) {
          rowLost = true;
          warnings.line(lineNumber, `skipped ${quoted(line)}: hop ${n} after hop ${ttl}`);
          return;
        }
        if (trace === null) begin(lineNumber);
        ttl = n;
        host = null;
        rest = hop[2] as string;
      } else {
        rest = line.trim();
      }
      const result = hopTokens(hops as HopCollector, ttl, rest.match(TOKEN) ?? [], host);
      host = result.host;
      if (result.zero) zeroSeen = true;
      rowLost = result.problem !== null;
      if (result.problem !== null) warnings.line(lineNumber, `${quoted(line)}: ${result.problem}`);
      return;
    }
    const noise = noiseOf(line);
    if (noise !== null) {
      warnings.line(lineNumber, noiseWarning(noise, line));
      if (trace !== null && ttl > 0) finish();
      return;
    }
    const dialog = ttl === 0 ? DIALOG.exec(line) : null;
    if (dialog) {
      const [question, answer] = [dialog[1] as string, dialog[2] as string];
      if (/^Target IP address$/i.test(question)) {
        const ip = parseIp(answer);
        if (ip !== null) target = { address: ip.address };
      }
      // The answer typed, else the default in brackets: what the router then probed with.
      const value = Number(answer || /\[(\d{1,3})\]/.exec(line)?.[1]);
      if (/^Probe count$/i.test(question) && Number.isSafeInteger(value)) probing.attemptsPerHop = value;
      if (/^Maximum Time to Live$/i.test(question) && Number.isSafeInteger(value)) probing.maxTtl = value;
      dialogLines = dialogLines === null ? [lineNumber, lineNumber] : [dialogLines[0], lineNumber];
      return;
    }
    rejected ??= `line ${lineNumber}: ${quoted(line)}`;
    warnings.line(lineNumber, `skipped ${quoted(line)}: not Cisco traceroute output`);
  });
  finish();
  warnings.flushLeftover(traces);
  const found = traces.filter((t) => t.hops.length > 0);
  if (found.length === 0) {
    throw parseError(
      'Cisco traceroute',
      `no hop lines found (lines like "  1 10.0.0.1 4 msec 2 msec *")${rejected ? `; first unread ${rejected}` : ''}`,
    );
  }
  return found;
}

function replyOf(host: Host | null, rttMs: number | null): Reply {
  const reply: Reply = { address: host?.address ?? null, rttMs };
  if (host?.name !== undefined) reply.name = host.name;
  if (host?.mpls !== undefined) reply.mpls = host.mpls;
  if (host?.asn !== undefined) reply.asn = host.asn;
  return reply;
}

/**
 * The tokens after a hop number (or of a further responder's line): hosts, their MPLS and AS fields, and one
 * probe result each (`N msec`, `*`, or an error code). Replies already read stay when a later token fails.
 */
function hopTokens(
  hops: HopCollector,
  ttl: number,
  tokens: string[],
  current: Host | null,
): { host: Host | null; zero: boolean; problem: string | null } {
  let host = current;
  let zero = false;
  /** A host named on this line that no probe result followed yet. */
  let unanswered: string | null = null;
  hops.hop(ttl);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const isResult =
      token === '*' || CODES[token] !== undefined || (/^\d{1,7}$/.test(token) && tokens[i + 1] === 'msec');
    if (isResult) unanswered = null;
    if (token === '*') {
      hops.add(ttl, { address: null, rttMs: null });
      continue;
    }
    if (/^\d{1,7}$/.test(token) && tokens[i + 1] === 'msec') {
      if (host === null)
        return {
          host,
          zero,
          problem: `a time before any address (token ${i + 1}): rest of the line skipped`,
        };
      const ms = Number(token);
      if (ms > MAX_RTT_MS) return { host, zero, problem: `${ms} msec is not a round-trip time` };
      if (ms === 0) zero = true;
      hops.add(ttl, replyOf(host, printedRtt(ms, 1)));
      i++;
      continue;
    }
    // Own keys only: a token "constructor" would find Object.prototype's function (found by test/fuzz).
    const code = Object.hasOwn(CODES, token) ? CODES[token] : undefined;
    if (code !== undefined && host !== null) {
      const reply = replyOf(host, null);
      reply.flag = code;
      reply.rawFlag = token;
      hops.add(ttl, reply);
      continue;
    }
    if (token.startsWith('[')) {
      const mpls = ciscoMplsField(token);
      if (mpls !== undefined) {
        if (mpls === null || host === null)
          return { host, zero, problem: `${quoted(token)} is not an MPLS label stack: rest skipped` };
        host.mpls = mpls;
        continue;
      }
      const as = /^\[AS (\d{1,10})\]$/.exec(token);
      if (as !== null && host !== null) {
        const n = Number(as[1]);
        if (n <= 0xffff_ffff) host.asn = n;
        continue;
      }
      return { host, zero, problem: `${quoted(token)} is not a field Cisco prints: rest skipped` };
    }
    if (token.startsWith('(')) {
      const inner = parseIp(token.slice(1, -1));
      if (inner !== null && host !== null && host.address === null) {
        host.address = inner.address;
        continue;
      }
      // `(red/1001, blue/2001)`: the VRFs a reply came in and went out of (see "VRF info"), not a host.
      if (/^\([\w.-]+\/\d+(?:, ?[\w.-]+\/\d+)*\)$/.test(token)) continue;
      return { host, zero, problem: `${quoted(token)} is not a field Cisco prints: rest skipped` };
    }
    if (unanswered !== null)
      return { host, zero, problem: `${quoted(unanswered)} has no probe result: rest skipped` };
    const ip = parseIp(token);
    if (ip !== null) host = { address: ip.address };
    else if (isShortText(token) && /^[\w.-]+$/.test(token)) host = { address: null, name: token };
    else return { host, zero, problem: `${quoted(token)} is not a host or a probe result: rest skipped` };
    unanswered = token;
  }
  if (unanswered !== null)
    return { host, zero, problem: `${quoted(unanswered)} has no probe result (the line is cut off?)` };
  return { host, zero, problem: null };
}

function finishTrace(trace: Trace, zeroSeen: boolean, lastLineLost: boolean): void {
  const notes: string[] = [];
  let version: IpVersion | undefined =
    trace.destination.address === null ? undefined : parseIp(trace.destination.address)?.version;
  let namesOnly = false;
  for (const hop of trace.hops) {
    for (const r of hop.replies) {
      if (r.address !== null) version ??= parseIp(r.address)?.version;
      else if (r.name !== undefined) namesOnly = true;
    }
  }
  trace.ipVersion = version ?? 4;
  if (trace.destination.address === null && trace.destination.name === undefined) {
    const last = trace.hops[trace.hops.length - 1];
    const reply = last?.replies.find((r) => r.address !== null && r.flag === undefined);
    if (lastLineLost) {
      notes.push(
        'no "Tracing the route to" line, and the last hop line could not be read: destination unknown',
      );
    } else if (reply !== undefined) {
      trace.destination = { address: reply.address };
      notes.push(`no "Tracing the route to" line: the target is taken as the last hop's ${reply.address}`);
    } else {
      notes.push('no "Tracing the route to" line and no answer at the last hop: destination unknown');
    }
  }
  if (namesOnly) notes.push('some hops are names without addresses: those cannot be located');
  if (zeroSeen)
    notes.push('Cisco prints whole milliseconds: "0 msec" is a reply under 1 ms, read as 1 ms (the bound)');
  if (trace.hops.some((h) => h.replies.some((r) => r.mpls !== undefined))) {
    notes.push('Cisco prints MPLS labels without their TTLs: those are recorded as 0');
  }
  if (notes.length > 0) trace.warnings = [...(trace.warnings ?? []), ...notes];
}
