/**
 * Classic traceroute text: Linux traceroute 2.x (`-n` or `name (address)`, `-A` `[AS7018]` after the
 * host, `-e` `<MPLS:L=..,E=..,S=..,T=..>`), traceroute6, FreeBSD and macOS (`[AS0]` before the host,
 * further responders of a hop on indented lines), scamper `-O text`, and tracepath (`N:` hop numbers, RTTs
 * written `1.234ms`, names without addresses, late answers repeating earlier hop numbers).
 * A host is printed when its reply differs from the previous one, so a bare RTT belongs to the last host.
 * `*` is a timeout; `!H !N !P !S !F !X !V !C !<n>` mark the reply before them.
 * The text does not say which probe protocol was used (`-I`, `-T` look the same), so the method is
 * `unknown` (tracepath always uses UDP with changing ports).
 * Router traceroutes that print this layout are read too: Juniper (FreeBSD's traceroute, with one
 * `MPLS Label=299792 CoS=0 TTL=1 S=1` line per label under the hop) and NX-OS (one `[Label=... E=0 TTL=1 S=1]`
 * or `[No MPLS labels]` line per answered probe).
 * Pasted text is read tolerantly (paste-tolerance.ts): prompts, command lines, `^C`, lines that cannot be read
 * and a cut-off last line become warnings, and the hops that could be read are kept.
 */
import { parseIp } from '../../protocol/address/parse.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { IpVersion, MplsLabel, ProbeMethod, Reply, ReplyFlag, Trace } from '../../protocol/trace.ts';
import { isName, isShortText, parseError } from './field-checks.ts';
import { HopCollector } from './hop-collector.ts';
import { unreachableFlag } from './icmp-flags.ts';
import { forEachLine } from './input-text.ts';
import { MAX_MESSAGE_CHARS, MAX_MPLS_LABELS, MAX_RTT_MS, MAX_TTL, type ParseLimits } from './limits.ts';
import { junosMplsLine, nxosMplsLine } from './mpls-lines.ts';
import {
  INTERRUPTED,
  lineTooLong,
  noiseOf,
  noiseWarning,
  quoted,
  Warnings,
  withoutInterrupt,
} from './paste-tolerance.ts';
import type { TraceMeta } from './trace-meta.ts';

const LETTER_FLAGS: Record<string, ReplyFlag> = {
  H: 'host-unreachable',
  N: 'network-unreachable',
  P: 'protocol-unreachable',
  S: 'source-route-failed',
  F: 'fragmentation-needed',
  X: 'admin-prohibited',
  A: 'admin-prohibited', // BSD: network administratively prohibited
  Z: 'admin-prohibited', // BSD: host administratively prohibited
  U: 'network-unreachable', // BSD: destination network unknown
  W: 'host-unreachable', // BSD: destination host unknown
  Q: 'network-unreachable', // BSD: network unreachable for TOS
  T: 'host-unreachable', // BSD: host unreachable for TOS
};

const TRACEROUTE_HEADER =
  /^traceroute6?\s+to\s+(\S+)\s+\(([^)\s]+)\)(?:\s+from\s+(\S+?))?,\s*(\d+)\s+hops\s+max(?:,\s*(\d+)\s+byte\s+packets)?/;
const SCAMPER_HEADER = /^traceroute\s+from\s+(\S+)\s+to\s+(\S+)\s*$/;
/** A tool's own diagnostics ("traceroute: Warning: ... has multiple addresses"). */
const DIAGNOSTIC = /^(?:traceroute6?|tracepath6?):\s/;
const TRACEROUTE_HOP = /^\s*(\d+)\s+(\S.*)$/;
const TRACEPATH_HOP = /^\s*(\d+)(\??):\s*(.*)$/;
const TRACEPATH_TRAILER = /^\s+(?:Resume:|Too many hops)/;
const RTT = /^\d+(?:\.\d+)?$/;
const MPLS_ENTRY = /L=(\d+),E=(\d+),S=(\d+),T=(\d+)/g;

interface Host {
  address: string | null;
  version?: IpVersion;
  name?: string;
  asn?: number;
  mpls?: MplsLabel[];
}

class TraceBuilder {
  readonly hops: HopCollector;
  readonly trace: Trace;
  replies = 0;
  /** The MPLS stack Junos lines are adding to, and the NX-OS label lines of the current hop so far. */
  junosStack: MplsLabel[] | null = null;
  nxosLines = 0;

  constructor(where: string, limits: ParseLimits, tool: Trace['tool'], method: ProbeMethod) {
    this.hops = new HopCollector(where, limits.maxRepliesPerHop);
    this.trace = {
      tool,
      method,
      ipVersion: 4,
      source: { address: null },
      destination: { address: null },
      startedAt: null,
      hops: [],
    };
  }

  add(ttl: number, reply: Reply): void {
    this.hops.add(ttl, reply);
    this.replies++;
  }

  finish(versionHint: IpVersion | undefined): Trace {
    this.trace.hops = this.hops.hops();
    if (versionHint !== undefined) this.trace.ipVersion = versionHint;
    return this.trace;
  }
}

/** Errors no tolerance applies to: the whole input is refused. */
const FATAL = new WeakSet<DetourwatchError>();

function fatal(err: DetourwatchError): DetourwatchError {
  FATAL.add(err);
  return err;
}

export function parseTracerouteText(text: string, limits: ParseLimits): Trace[] {
  const traces: Trace[] = [];
  const diagnostics: string[] = [];
  const warnings = new Warnings();
  /** Why the first unreadable line could not be read: the error when no hop at all could be. */
  let firstProblem: DetourwatchError | null = null;
  let builder: TraceBuilder | null = null;
  let version: IpVersion | undefined;
  let hop = 0;
  let host: Host | null = null;

  const finish = () => {
    if (builder !== null) {
      const trace = builder.finish(version);
      warnings.flushInto(trace);
      traces.push(trace);
    }
    builder = null;
    version = undefined;
    hop = 0;
    host = null;
  };
  const start = (where: string, tool: Trace['tool'], method: ProbeMethod): TraceBuilder => {
    finish();
    builder = new TraceBuilder(where, limits, tool, method);
    return builder;
  };

  forEachLine(text, (raw, lineNumber) => {
    if (raw.length > limits.maxTextLineChars) throw lineTooLong(lineNumber, raw.length, limits);
    const { line, interrupted } = withoutInterrupt(raw);
    if (interrupted) warnings.line(lineNumber, INTERRUPTED);
    if (line.trim() === '') return;
    const before = (builder as TraceBuilder | null)?.replies ?? 0;
    try {
      textLine(line, lineNumber);
    } catch (err) {
      // A line that cannot be read costs that line (from where it broke), never the trace.
      if (!(err instanceof DetourwatchError) || err.code !== 'PARSE_FAILED' || FATAL.has(err)) throw err;
      firstProblem ??= err;
      const noise = noiseOf(line);
      const kept = ((builder as TraceBuilder | null)?.replies ?? 0) > before;
      warnings.add(
        noise !== null
          ? `line ${lineNumber}: ${noiseWarning(noise, line)}`
          : `${err.message} (${kept ? 'the line is read up to there' : 'line skipped'})`,
      );
    }
  });

  function textLine(line: string, lineNumber: number): void {
    const where = `line ${lineNumber}`;
    // Headers and diagnostics all start with "tr" (after any indentation a paste added): hop lines (nearly
    // every line) skip those patterns.
    const lead = line.charCodeAt(0) === 116 ? line : line.trimStart();
    const maybeHeader = lead.charCodeAt(0) === 116;
    const header = maybeHeader ? TRACEROUTE_HEADER.exec(lead) : null;
    if (header) {
      const b = start(`trace starting on ${where}`, 'traceroute', 'unknown');
      const dst = parseIp(header[2] as string);
      b.trace.destination = { address: dst?.address ?? null };
      if (header[1] !== header[2] && isName(header[1])) b.trace.destination.name = header[1];
      const src = header[3] === undefined ? null : parseIp(header[3]);
      if (src !== null) b.trace.source.address = src.address;
      const meta: TraceMeta = { hops_max: Number(header[4]) };
      if (header[5] !== undefined) meta.packet_bytes = Number(header[5]);
      b.trace.meta = meta;
      // "30 hops max" is traceroute's -m: no hop of this trace can be beyond it.
      if (Number.isSafeInteger(meta.hops_max)) b.trace.probing = { maxTtl: meta.hops_max as number };
      version = dst?.version ?? (lead.startsWith('traceroute6') ? 6 : undefined);
      return;
    }
    const scamper = maybeHeader ? SCAMPER_HEADER.exec(lead) : null;
    if (scamper) {
      const b = start(`trace starting on ${where}`, 'scamper', 'unknown');
      const src = parseIp(scamper[1] as string);
      const dst = parseIp(scamper[2] as string);
      b.trace.source.address = src?.address ?? null;
      b.trace.destination.address = dst?.address ?? null;
      version = dst?.version;
      return;
    }
    if (maybeHeader && DIAGNOSTIC.test(lead)) {
      diagnostics.push(lead.slice(0, MAX_MESSAGE_CHARS));
      return;
    }
    if (builder !== null && hop > 0 && routerMplsLine(builder, hop, host, line, where)) return;
    const tracepath = line.includes(':') ? TRACEPATH_HOP.exec(line) : null;
    if (tracepath) {
      const ttl = Number(tracepath[1]);
      if (
        builder === null ||
        builder.trace.tool !== 'traceroute' ||
        builder.trace.meta?.variant !== 'tracepath'
      ) {
        const b = start(`trace starting on ${where}`, 'traceroute', 'udp');
        b.trace.meta = { variant: 'tracepath' };
      }
      const b = builder as unknown as TraceBuilder;
      tracepathLine(b, ttl, tracepath[3] as string, where);
      version ??= firstVersion(b);
      return;
    }
    if (TRACEPATH_TRAILER.test(line) && builder !== null) return;
    const hopLine = TRACEROUTE_HOP.exec(line);
    let tokens: string[];
    if (hopLine) {
      const ttl = Number(hopLine[1]);
      // No tool prints such a hop number: the text is not a traceroute's, and no tolerance applies.
      if (ttl < 1 || ttl > MAX_TTL)
        throw fatal(parseError(where, `hop number ${ttl} is outside 1-${MAX_TTL}`));
      if (builder === null) start(`trace starting on ${where}`, 'traceroute', 'unknown');
      hop = ttl;
      host = null;
      tokens = (hopLine[2] as string).trim().split(/\s+/);
    } else if (builder !== null && hop > 0 && /^\s/.test(line)) {
      tokens = line.trim().split(/\s+/);
    } else {
      const noise = noiseOf(line);
      if (noise !== null) {
        warnings.line(lineNumber, noiseWarning(noise, line));
        return;
      }
      // The common case of a long paste: recorded without building an error per line.
      const message = `${where}: not traceroute output: ${JSON.stringify(line.slice(0, 60))}`;
      firstProblem ??= new DetourwatchError('PARSE_FAILED', message);
      warnings.add(`${message} (line skipped)`);
      return;
    }
    const b = builder as unknown as TraceBuilder;
    b.junosStack = null;
    if (hopLine) b.nxosLines = 0;
    host = hopTokens(b, hop, tokens, host, where);
    version ??= firstVersion(b);
  }
  finish();
  warnings.flushLeftover(traces);

  const read = traces.filter((t) => t.hops.length > 0);
  if (read.length === 0) {
    if (firstProblem !== null) throw firstProblem;
    const said = diagnostics.length > 0 ? ` (the tool said: ${diagnostics[0]})` : '';
    throw new DetourwatchError('PARSE_FAILED', `no traceroute hop lines found${said}`);
  }
  return read;
}

/**
 * A Junos or NX-OS MPLS line under a hop: its labels go to the replies they describe. Returns false for any
 * other line; throws for one in either notation that cannot be a label.
 */
function routerMplsLine(
  b: TraceBuilder,
  ttl: number,
  host: Host | null,
  line: string,
  where: string,
): boolean {
  const junos = junosMplsLine(line);
  if (junos !== undefined) {
    if (junos === null) throw parseError(where, `${quoted(line)} is not an MPLS label entry`);
    if (host === null || host.address === null) throw parseError(where, 'an MPLS label under no responder');
    // Labels are printed under the hop's last responder, one line per stack entry.
    if (b.junosStack === null) {
      b.junosStack = [];
      host.mpls = b.junosStack;
      for (const reply of b.hops.hop(ttl).replies) {
        if (reply.address === host.address && reply.mpls === undefined) reply.mpls = b.junosStack;
      }
    }
    if (b.junosStack.length >= MAX_MPLS_LABELS)
      throw parseError(where, `more than ${MAX_MPLS_LABELS} MPLS labels`);
    b.junosStack.push(junos);
    variant(b, 'junos');
    return true;
  }
  const nxos = nxosMplsLine(line);
  if (nxos === undefined) return false;
  if (nxos === null) throw parseError(where, `${quoted(line)} is not an MPLS label entry`);
  // One line per answered probe of the hop, in the order they were printed.
  const answered = b.hops.hop(ttl).replies.filter((r) => r.address !== null);
  const reply = answered[b.nxosLines];
  if (reply === undefined)
    throw parseError(
      where,
      `an MPLS line for probe ${b.nxosLines + 1}, but hop ${ttl} has ${answered.length} answers`,
    );
  b.nxosLines++;
  if (nxos.length > 0) reply.mpls = nxos;
  variant(b, 'nxos');
  return true;
}

function variant(b: TraceBuilder, name: string): void {
  if (b.trace.meta?.variant === undefined) b.trace.meta = { ...b.trace.meta, variant: name };
}

function firstVersion(b: TraceBuilder): IpVersion | undefined {
  for (const hop of b.hops.hops()) {
    for (const reply of hop.replies) if (reply.address !== null) return parseIp(reply.address)?.version;
  }
  return undefined;
}

function toHost(token: string, paren: string | undefined, where: string): Host {
  if (paren === undefined) {
    const ip = parseIp(token);
    if (ip !== null) return { address: ip.address, version: ip.version };
    if (!isShortText(token)) throw parseError(where, `"${token.slice(0, 60)}" is not a host name`);
    return { address: null, name: token };
  }
  const inner = paren.slice(1, -1);
  const ip = parseIp(inner);
  if (!isShortText(token)) throw parseError(where, `"${token.slice(0, 60)}" is not a host name`);
  if (ip === null) {
    // "Internal (Internal)": the tool printed no address, only a label.
    return { address: null, name: token };
  }
  const host: Host = { address: ip.address, version: ip.version };
  if (token !== inner && token !== ip.address) host.name = token;
  return host;
}

/** `[AS7018]` -> 7018; `[*]`, `[AS???]` -> undefined (the tool did not know). */
function annotationAsn(token: string): number | undefined {
  const m = /^\[AS(\d{1,10})\]$/.exec(token);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n <= 0xffff_ffff ? n : undefined;
}

function mplsExtension(token: string): MplsLabel[] | undefined {
  if (!token.startsWith('<MPLS:')) return undefined;
  const labels: MplsLabel[] = [];
  for (const m of token.matchAll(MPLS_ENTRY)) {
    const [label, tc, s, ttl] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    if (label > 0xfffff || tc > 7 || s > 1 || ttl > 255) return undefined;
    labels.push({ label, tc, s: s === 1, ttl });
  }
  return labels.length > 0 ? labels : undefined;
}

function replyFlag(token: string, version: IpVersion): ReplyFlag {
  const body = token.slice(1);
  if (body.startsWith('<') && body.endsWith('>')) {
    const code = Number(body.slice(1, -1));
    return Number.isInteger(code) && code >= 0 && code <= 255 ? unreachableFlag(version, code) : 'other';
  }
  // `!F-1500` carries the next-hop MTU after the letter.
  const letter = body.length === 1 || body[1] === '-' ? body[0] : undefined;
  return (letter !== undefined && LETTER_FLAGS[letter]) || 'other';
}

function rttOf(token: string, next: string | undefined): { ms: number; used: number } | undefined {
  if (next === 'ms' && RTT.test(token)) return { ms: Number(token), used: 2 };
  if (token.endsWith('ms') && RTT.test(token.slice(0, -2)))
    return { ms: Number(token.slice(0, -2)), used: 1 };
  return undefined;
}

function makeReply(host: Host | null, rttMs: number | null): Reply {
  const reply: Reply = { address: host?.address ?? null, rttMs };
  if (host?.name !== undefined) reply.name = host.name;
  if (host?.asn !== undefined) reply.asn = host.asn;
  if (host?.mpls !== undefined) reply.mpls = host.mpls;
  return reply;
}

/** The tokens of one traceroute hop line (or a continuation line); returns the current host. */
function hopTokens(b: TraceBuilder, ttl: number, tokens: string[], current: Host | null, where: string) {
  let host = current;
  let hostAnswered = true;
  let justNamedHost = false;
  let pendingAsn: number | undefined;
  let last: Reply | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const wasJustNamed = justNamedHost;
    justNamedHost = false;
    if (token === '*') {
      b.add(ttl, makeReply(null, null));
      last = null;
      continue;
    }
    if (token.startsWith('[') && token.endsWith(']')) {
      const asn = annotationAsn(token);
      if (wasJustNamed && host !== null) {
        if (asn === undefined) delete host.asn;
        else host.asn = asn;
      } else {
        pendingAsn = asn;
      }
      continue;
    }
    // Only `-e`'s MPLS extension: any other `<...>` is a (hostile or odd) reverse name, which names a host.
    if (token.startsWith('<MPLS:') && token.endsWith('>')) {
      const mpls = mplsExtension(token);
      if (host !== null && mpls !== undefined) host.mpls = mpls;
      continue;
    }
    if (token.startsWith('!')) {
      if (last === null || token.length > 16)
        throw parseError(where, `hop ${ttl}: "${token}" follows no reply`);
      last.flag = replyFlag(token, host?.version ?? 4);
      last.rawFlag = token;
      continue;
    }
    if (token.startsWith("'") && token.endsWith("'")) continue; // --back: '-N' return-path hop count
    const rtt = rttOf(token, tokens[i + 1]);
    if (rtt !== undefined) {
      if (host === null) throw parseError(where, `hop ${ttl}: round-trip time ${token} before any address`);
      if (rtt.ms > MAX_RTT_MS) throw parseError(where, `hop ${ttl}: ${rtt.ms} ms is not a round-trip time`);
      last = makeReply(host, rtt.ms);
      b.add(ttl, last);
      hostAnswered = true;
      i += rtt.used - 1;
      continue;
    }
    if (!hostAnswered) {
      // `r1 10.145.0.2  1.792 ms`: a name and its address without parentheses (seen from Junos).
      const ip = wasJustNamed && host !== null && host.address === null ? parseIp(token) : null;
      if (ip === null || host === null) throw unanswered(where, ttl, host);
      host.address = ip.address;
      host.version = ip.version;
      justNamedHost = true;
      continue;
    }
    const next = tokens[i + 1];
    const paren = next?.startsWith('(') && next.endsWith(')') ? next : undefined;
    host = toHost(token, paren, where);
    if (paren !== undefined) i++;
    if (pendingAsn !== undefined) host.asn = pendingAsn;
    pendingAsn = undefined;
    hostAnswered = false;
    justNamedHost = true;
    last = null;
  }
  if (!hostAnswered) throw unanswered(where, ttl, host);
  return host;
}

/** A module-level function, not a closure per hop line: closures cost an allocation (and a name) each. */
function unanswered(where: string, ttl: number, host: Host | null): DetourwatchError {
  return parseError(
    where,
    `hop ${ttl}: host ${host?.name ?? host?.address} is not followed by a round-trip time`,
  );
}

/** `host [(address)] [asymm N] 1.234ms [pmtu N] [reached]`, `no reply`, `[LOCALHOST] pmtu N`. */
function tracepathLine(b: TraceBuilder, ttl: number, content: string, where: string): void {
  const tokens = content.trim().split(/\s+/);
  if (tokens[0] === '[LOCALHOST]') {
    if (tokens[1] === 'pmtu' && RTT.test(tokens[2] ?? ''))
      b.trace.meta = { ...b.trace.meta, pmtu: Number(tokens[2]) };
    b.hops.hop(ttl);
    return;
  }
  if (tokens[0] === 'no' && tokens[1] === 'reply') {
    b.add(ttl, { address: null, rttMs: null });
    return;
  }
  const first = tokens[0] as string;
  const paren = tokens[1]?.startsWith('(') && tokens[1].endsWith(')') ? tokens[1] : undefined;
  const host = toHost(first, paren, where);
  let rttMs: number | null = null;
  let reached = false;
  for (let i = paren === undefined ? 1 : 2; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === 'asymm' || token === 'pmtu') {
      i++;
      continue;
    }
    if (token === 'reached') {
      reached = true;
      continue;
    }
    const rtt = rttOf(token, tokens[i + 1]);
    if (rtt === undefined || rtt.ms > MAX_RTT_MS)
      throw parseError(where, `unexpected "${token.slice(0, 60)}" in tracepath output`);
    rttMs = rtt.ms;
    i += rtt.used - 1;
  }
  if (rttMs === null) throw parseError(where, `hop ${ttl}: tracepath printed no round-trip time`);
  b.add(ttl, makeReply(host, rttMs));
  if (reached && b.trace.destination.address === null && host.address !== null) {
    b.trace.destination.address = host.address;
  }
}
