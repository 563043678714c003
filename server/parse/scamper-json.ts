/**
 * scamper `-O json` output (tested against scamper 20211212 and M-Lab traceroute-caller files): one JSON
 * object per line, `cycle-start` / `cycle-stop` around `trace` and `tracelb` results. M-Lab's files add a
 * first line `{"UUID":...}` and have exactly four lines; their single-object form
 * `{"Metadata","CycleStart","Trace","CycleStop"}` is read too.
 *
 * `trace` lists only answered probes, so unanswered TTLs are gaps. `tracelb` (MDA) is a graph: each node's
 * links carry the probes (with their TTL) that discovered the next node, so every responder is placed at
 * the TTL of the probes it answered; a node no link leads to (the first hop) goes one TTL before the probes
 * it sent onward.
 */
import { type ParsedIp, parseIp } from '../../protocol/address/parse.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { IpVersion, MplsLabel, ProbeMethod, Reply, Trace, TraceProbing } from '../../protocol/trace.ts';
import { fieldError, isInt, isName, isNumberIn, isoFromUnix, isRecord, parseError } from './field-checks.ts';
import { HopCollector } from './hop-collector.ts';
import { icmpFlag } from './icmp-flags.ts';
import type { JsonInput } from './json-input.ts';
import { MAX_MPLS_LABELS, MAX_RTT_MS, MAX_TTL, type ParseLimits } from './limits.ts';
import { copyMetaInt, copyMetaText, type TraceMeta } from './trace-meta.ts';

/** scamper's trace methods. tcp and tcp-ack keep both ports fixed for the whole trace: flow-stable. */
const TRACE_METHODS: Record<string, ProbeMethod> = {
  'icmp-echo-paris': 'icmp-paris',
  'udp-paris': 'udp-paris',
  tcp: 'tcp-paris',
  'tcp-ack': 'tcp-paris',
  'icmp-echo': 'icmp',
  udp: 'udp',
};

/** tracelb varies the flow identifier on purpose (to enumerate load-balanced paths): never flow-stable. */
const TRACELB_METHODS: Record<string, ProbeMethod> = {
  'udp-dport': 'udp',
  'udp-sport': 'udp',
  'icmp-echo': 'icmp',
  'tcp-sport': 'tcp',
  'tcp-ack-sport': 'tcp',
};

/** Bookkeeping records between results: nothing to convert. */
const CONTROL_TYPES = new Set(['cycle-start', 'cycle-stop', 'cycle-def', 'list']);

/** Other measurements scamper writes into the same files; they are not traceroutes. */
const OTHER_MEASUREMENTS = new Set([
  'ping',
  'tbit',
  'dealias',
  'sting',
  'sniff',
  'host',
  'http',
  'udpprobe',
  'neighbourdisc',
]);

/** Whether a JSON object is one of scamper's records (or M-Lab's wrapping of them). */
export function isScamperRecord(value: Record<string, unknown>): boolean {
  if ('UUID' in value || 'Metadata' in value) return true;
  const type = value.type;
  return (
    typeof type === 'string' &&
    (type === 'trace' || type === 'tracelb' || CONTROL_TYPES.has(type) || OTHER_MEASUREMENTS.has(type))
  );
}

/** M-Lab's metadata line, which a line-by-line reader meets first; returns false for anything else. */
export function isMlabMetadata(value: unknown, where: string): boolean {
  if (!isRecord(value) || !('UUID' in value) || 'type' in value) return false;
  mlabUuid(value, where);
  return true;
}

/** The traces in one scamper JSON record: [] for cycle records, one for trace/tracelb. */
export function scamperRecordToTraces(value: unknown, where: string, limits: ParseLimits): Trace[] {
  if (!isRecord(value)) throw parseError(where, 'not a scamper JSON object');
  const type = value.type;
  if (type === 'trace') return [scamperTrace(value, where, limits)];
  if (type === 'tracelb') return [scamperTracelb(value, where, limits)];
  if (typeof type === 'string' && CONTROL_TYPES.has(type)) return [];
  if (typeof type === 'string' && OTHER_MEASUREMENTS.has(type)) {
    throw new DetourwatchError(
      'TRACE_UNSUPPORTED',
      `${where}: a scamper "${type}" result; detourwatch reads only "trace" and "tracelb"`,
    );
  }
  throw fieldError(where, '"type"', 'a scamper record type (cycle-start, trace, tracelb, cycle-stop)', type);
}

/** A whole scamper JSON input, with M-Lab's file structure enforced when its metadata line is present. */
export function parseScamperJson(input: JsonInput, limits: ParseLimits): Trace[] {
  const first = input.records[0];
  if (first === undefined) return [];
  if (input.document && isRecord(first.value) && 'Metadata' in first.value) {
    return mlabObject(first.value, limits);
  }
  if (isRecord(first.value) && 'UUID' in first.value) return mlabLines(input, limits);
  const traces: Trace[] = [];
  for (const record of input.records) {
    for (const trace of scamperRecordToTraces(record.value, `line ${record.line}`, limits))
      traces.push(trace);
  }
  return traces;
}

function mlabUuid(value: unknown, where: string): string {
  if (!isRecord(value)) throw parseError(where, 'M-Lab metadata is not an object');
  const uuid = value.UUID;
  if (typeof uuid !== 'string' || uuid === '' || !isName(uuid)) {
    throw fieldError(where, 'M-Lab metadata "UUID"', 'a non-empty identifier', uuid);
  }
  return uuid;
}

function withUuid(traces: Trace[], uuid: string): Trace[] {
  for (const trace of traces) trace.meta = { ...trace.meta, mlab_uuid: uuid };
  return traces;
}

const MLAB_LAYOUT = 'metadata, cycle-start, trace or tracelb, cycle-stop';

/** M-Lab traceroute-caller's JSONL file: exactly four lines, in a fixed order. */
function mlabLines(input: JsonInput, limits: ParseLimits): Trace[] {
  const [meta, start, result, stop] = input.records;
  if (input.records.length !== 4 || input.lineCount !== 4 || !meta || !start || !result || !stop) {
    throw new DetourwatchError(
      'PARSE_FAILED',
      `an M-Lab traceroute-caller file has exactly 4 lines (${MLAB_LAYOUT}); this one has ${input.lineCount} lines with ${input.records.length} records`,
    );
  }
  const uuid = mlabUuid(meta.value, 'line 1');
  expectType(start.value, 'cycle-start', 'line 2');
  expectType(stop.value, 'cycle-stop', 'line 4');
  const type = isRecord(result.value) ? result.value.type : undefined;
  if (type !== 'trace' && type !== 'tracelb')
    throw fieldError('line 3', '"type"', '"trace" or "tracelb"', type);
  return withUuid(scamperRecordToTraces(result.value, 'line 3', limits), uuid);
}

/** traceroute-caller's `--format json` form: the same four records as members of one object. */
function mlabObject(value: Record<string, unknown>, limits: ParseLimits): Trace[] {
  const uuid = mlabUuid(value.Metadata, 'M-Lab JSON "Metadata"');
  expectType(value.CycleStart, 'cycle-start', 'M-Lab JSON "CycleStart"');
  expectType(value.CycleStop, 'cycle-stop', 'M-Lab JSON "CycleStop"');
  const result = value.Trace ?? value.Tracelb;
  const type = isRecord(result) ? result.type : undefined;
  if (type !== 'trace' && type !== 'tracelb') {
    throw fieldError('M-Lab JSON', '"Trace"', `a scamper trace or tracelb (${MLAB_LAYOUT})`, type);
  }
  return withUuid(scamperRecordToTraces(result, 'M-Lab JSON "Trace"', limits), uuid);
}

function expectType(value: unknown, type: string, where: string): void {
  const got = isRecord(value) ? value.type : value;
  if (got !== type) throw fieldError(where, '"type"', `"${type}"`, got);
}

function endpoint(value: unknown, where: string, path: string): ParsedIp | null {
  if (value === undefined) return null;
  const ip = typeof value === 'string' ? parseIp(value) : null;
  if (ip === null) throw fieldError(where, path, 'an IP address', value);
  return ip;
}

function methodOf(value: unknown, table: Record<string, ProbeMethod>, where: string): ProbeMethod {
  if (!isName(value)) throw fieldError(where, '"method"', 'a scamper method name', value);
  // Own keys only: "constructor" or "toString" would find Object.prototype's functions.
  return Object.hasOwn(table, value) ? (table[value] as ProbeMethod) : 'unknown';
}

/** Common header fields of trace and tracelb. */
function header(
  o: Record<string, unknown>,
  where: string,
  table: Record<string, ProbeMethod>,
  dstRequired: boolean,
) {
  const method = methodOf(o.method, table, where);
  const src = endpoint(o.src, where, '"src"');
  const dst = endpoint(o.dst, where, '"dst"');
  if (dst === null && dstRequired) throw fieldError(where, '"dst"', 'an IP address', undefined);
  const version: IpVersion = dst?.version ?? src?.version ?? 4;
  let startedAt: string | null = null;
  if (o.start !== undefined) {
    const start = isRecord(o.start) ? o.start : undefined;
    startedAt = start ? isoFromUnix(start.sec, start.usec ?? 0) : null;
    if (startedAt === null) throw fieldError(where, '"start"', '{"sec","usec"} Unix time', o.start);
  }
  const meta: TraceMeta = {};
  copyMetaInt(meta, 'sport', o.sport, where, '"sport"');
  copyMetaInt(meta, 'dport', o.dport, where, '"dport"');
  copyMetaInt(meta, 'firsthop', o.firsthop, where, '"firsthop"');
  copyMetaInt(meta, 'attempts', o.attempts, where, '"attempts"');
  copyMetaInt(meta, 'probe_size', o.probe_size, where, '"probe_size"');
  return { method, src, dst, version, startedAt, meta };
}

/** A trace with the header's facts and no hops yet. */
function hopless(h: ReturnType<typeof header>, meta: TraceMeta): Trace {
  return {
    tool: 'scamper',
    method: h.method,
    ipVersion: h.version,
    source: { address: h.src?.address ?? null },
    destination: { address: h.dst?.address ?? null },
    startedAt: h.startedAt,
    hops: [],
    meta,
  };
}

/** scamper's icmpext: [{ie_cn, ie_ct, mpls_labels:[{mpls_ttl, mpls_s, mpls_exp, mpls_label}]}]. */
function mplsLabels(value: unknown, where: string, path: string): MplsLabel[] | undefined {
  if (!Array.isArray(value)) throw fieldError(where, path, 'an array of ICMP extension objects', value);
  let labels: MplsLabel[] | undefined;
  for (const ext of value) {
    if (!isRecord(ext)) throw fieldError(where, path, 'an array of ICMP extension objects', ext);
    if (ext.mpls_labels === undefined) continue;
    const list = ext.mpls_labels;
    if (!Array.isArray(list) || list.length > MAX_MPLS_LABELS) {
      throw fieldError(where, `${path} mpls_labels`, `an array of at most ${MAX_MPLS_LABELS} labels`, list);
    }
    for (const m of list) {
      if (
        !isRecord(m) ||
        !isInt(m.mpls_label, 0, 0xfffff) ||
        !isInt(m.mpls_exp, 0, 7) ||
        !isInt(m.mpls_s, 0, 1) ||
        !isInt(m.mpls_ttl, 0, 255)
      ) {
        throw fieldError(
          where,
          `${path} mpls_labels`,
          'labels with 20-bit label, 3-bit exp, s 0/1, 8-bit ttl',
          m,
        );
      }
      labels ??= [];
      labels.push({ label: m.mpls_label, tc: m.mpls_exp, s: m.mpls_s === 1, ttl: m.mpls_ttl });
    }
  }
  return labels;
}

/** The reply fields scamper writes the same way in trace hops and tracelb replies. */
function fillReply(
  reply: Reply,
  o: Record<string, unknown>,
  version: IpVersion,
  where: string,
  path: string,
) {
  const type = o.icmp_type;
  const code = o.icmp_code;
  if (type !== undefined || code !== undefined) {
    if (!isInt(type, 0, 255) || !isInt(code, 0, 255)) {
      throw fieldError(where, `${path} icmp_type/icmp_code`, 'integers 0-255', [type, code]);
    }
    reply.icmpType = type;
    reply.icmpCode = code;
    const flag = icmpFlag(version, type, code);
    if (flag !== undefined) reply.flag = flag;
  }
  if (o.icmpext !== undefined) {
    const mpls = mplsLabels(o.icmpext, where, `${path}.icmpext`);
    if (mpls !== undefined) reply.mpls = mpls;
  }
}

/** `*` and `""` are how M-Lab's files write a probe nobody answered. */
function isNoAddress(value: unknown): boolean {
  return value === '*' || value === '';
}

/** An unsigned field scamper writes as an integer (scamper_trace_json.c), or undefined when absent. */
function uint(value: unknown, where: string, path: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!isInt(value, 0, max)) throw fieldError(where, path, `an integer 0-${max}`, value);
  return value;
}

/**
 * What a trace header says about the probing. `hoplimit` 0 is scamper's default (255); with `confidence` set
 * scamper sends as many probes per TTL as the confidence needs, so `attempts` no longer bounds them. scamper
 * records late replies to earlier probes for as long as the trace runs, which is at most `probe_count` waits.
 */
function traceProbing(o: Record<string, unknown>, where: string): TraceProbing {
  const attempts = uint(o.attempts, where, '"attempts"', 0xffff_ffff);
  const hoplimit = uint(o.hoplimit, where, '"hoplimit"', 255);
  const wait = uint(o.wait, where, '"wait"', 0xffff_ffff);
  const probeCount = uint(o.probe_count, where, '"probe_count"', 0xffff);
  const confidence = uint(o.confidence, where, '"confidence"', 255);
  const probing: TraceProbing = {};
  if (attempts !== undefined && attempts > 0 && !confidence) probing.attemptsPerHop = attempts;
  if (probeCount !== undefined) probing.probesSent = probeCount;
  if (hoplimit !== undefined && hoplimit > 0) probing.maxTtl = hoplimit;
  if (wait !== undefined && wait > 0 && probeCount !== undefined && probeCount > 0) {
    probing.listenMs = wait * 1000 * probeCount;
  }
  return probing;
}

function scamperTrace(o: Record<string, unknown>, where: string, limits: ParseLimits): Trace {
  const h = header(o, where, TRACE_METHODS, true);
  const meta = h.meta;
  copyMetaText(meta, 'stop_reason', o.stop_reason, where, '"stop_reason"');
  copyMetaInt(meta, 'stop_data', o.stop_data, where, '"stop_data"');
  copyMetaInt(meta, 'hop_count', o.hop_count, where, '"hop_count"');
  copyMetaInt(meta, 'icmp_sum', o.icmp_sum, where, '"icmp_sum"');
  const trace = hopless(h, meta);
  const probing = traceProbing(o, where);
  if (Object.keys(probing).length > 0) trace.probing = probing;
  // The flow identifier scamper held constant: the UDP/TCP source port, or the ICMP checksum.
  const flow = h.method === 'icmp-paris' ? o.icmp_sum : h.method.endsWith('-paris') ? o.sport : undefined;
  if (typeof flow === 'number') trace.flowId = flow;

  if (o.hops === undefined) return trace;
  if (!Array.isArray(o.hops)) throw fieldError(where, '"hops"', 'an array', o.hops);
  const hops = new HopCollector(where, limits.maxRepliesPerHop);
  let lastRaw: unknown;
  let lastIp: ParsedIp | null = null;
  for (let i = 0; i < o.hops.length; i++) {
    const hop = o.hops[i];
    if (!isRecord(hop)) throw fieldError(where, `hops[${i}]`, 'an object', hop);
    const ttl = hop.probe_ttl;
    if (!isInt(ttl, 1, MAX_TTL))
      throw fieldError(where, `hops[${i}].probe_ttl`, `an integer 1-${MAX_TTL}`, ttl);
    // probe_id numbers the attempts at one TTL from 1: the plausibility check holds it to `attempts`.
    const attempt = uint(hop.probe_id, where, `hops[${i}].probe_id`, 255);
    const addr = hop.addr;
    if (isNoAddress(addr)) {
      hops.add(
        ttl,
        attempt === undefined ? { address: null, rttMs: null } : { address: null, rttMs: null, attempt },
      );
      continue;
    }
    if (addr !== lastRaw) {
      lastIp = typeof addr === 'string' ? parseIp(addr) : null;
      lastRaw = addr;
    }
    if (lastIp === null) throw fieldError(where, `hops[${i}].addr`, 'an IP address', addr);
    const rtt = hop.rtt;
    if (!isNumberIn(rtt, 0, MAX_RTT_MS)) {
      throw fieldError(where, `hops[${i}].rtt`, `milliseconds 0-${MAX_RTT_MS}`, rtt);
    }
    const reply: Reply = { address: lastIp.address, rttMs: rtt };
    if (attempt !== undefined) reply.attempt = attempt;
    if (hop.name !== undefined && hop.name !== '') {
      if (!isName(hop.name)) throw fieldError(where, `hops[${i}].name`, 'a host name', hop.name);
      reply.name = hop.name;
    }
    if (hop.reply_ttl !== undefined) {
      if (!isInt(hop.reply_ttl, 0, 255))
        throw fieldError(where, `hops[${i}].reply_ttl`, '0-255', hop.reply_ttl);
      reply.replyTtl = hop.reply_ttl;
    }
    fillReply(reply, hop, h.version, where, `hops[${i}]`);
    hops.add(ttl, reply);
  }
  trace.hops = hops.hops();
  return trace;
}

function scamperTracelb(o: Record<string, unknown>, where: string, limits: ParseLimits): Trace {
  const h = header(o, where, TRACELB_METHODS, false);
  const meta = h.meta;
  copyMetaInt(meta, 'confidence', o.confidence, where, '"confidence"');
  copyMetaInt(meta, 'gaplimit', o.gaplimit, where, '"gaplimit"');
  copyMetaInt(meta, 'probec', o.probec, where, '"probec"');
  copyMetaInt(meta, 'nodec', o.nodec, where, '"nodec"');
  copyMetaInt(meta, 'linkc', o.linkc, where, '"linkc"');
  const trace = hopless(h, { ...meta, mda: true });
  // MDA sends as many probes per TTL as its confidence needs: only the total (`probec`) bounds them.
  if (typeof meta.probec === 'number') trace.probing = { probesSent: meta.probec };
  if (o.nodes === undefined) return trace;
  if (!Array.isArray(o.nodes)) throw fieldError(where, '"nodes"', 'an array', o.nodes);
  const firsthop = isInt(o.firsthop, 1, MAX_TTL) ? o.firsthop : 1;
  const hops = new HopCollector(where, limits.maxRepliesPerHop);
  const names = new Map<string, string>();
  const reached = new Set<string>();
  const origins: { address: string; ttl: number }[] = [];

  for (let n = 0; n < o.nodes.length; n++) {
    const node = o.nodes[n];
    const path = `nodes[${n}]`;
    if (!isRecord(node)) throw fieldError(where, path, 'an object', node);
    const address = isNoAddress(node.addr) ? null : endpoint(node.addr, where, `${path}.addr`)?.address;
    if (address && node.name !== undefined && node.name !== '') {
      if (!isName(node.name)) throw fieldError(where, `${path}.name`, 'a host name', node.name);
      names.set(address, node.name);
    }
    let firstOut = MAX_TTL + 1;
    const links = node.links ?? [];
    if (!Array.isArray(links)) throw fieldError(where, `${path}.links`, 'an array', links);
    for (let l = 0; l < links.length; l++) {
      const set = links[l];
      if (!Array.isArray(set)) throw fieldError(where, `${path}.links[${l}]`, 'an array', set);
      for (let k = 0; k < set.length; k++) {
        const lowest = linkEntry(set[k], `${path}.links[${l}][${k}]`, where, h.version, hops, reached);
        if (lowest < firstOut) firstOut = lowest;
      }
    }
    if (address) origins.push({ address, ttl: firstOut <= MAX_TTL ? Math.max(firstOut - 1, 1) : firsthop });
  }
  // Nodes no link reaches (the first hop): scamper prints no probe for them, so no RTT either.
  for (const origin of origins) {
    if (!reached.has(origin.address)) hops.add(origin.ttl, { address: origin.address, rttMs: null });
  }
  trace.hops = hops.hops();
  if (names.size > 0) {
    for (const hop of trace.hops) {
      for (const reply of hop.replies) {
        const name = reply.address === null ? undefined : names.get(reply.address);
        if (name !== undefined) reply.name = name;
      }
    }
  }
  return trace;
}

/** One `{addr, probes}` of a tracelb link; returns the lowest probe TTL in it (MAX_TTL + 1 if none). */
function linkEntry(
  entry: unknown,
  path: string,
  where: string,
  version: IpVersion,
  hops: HopCollector,
  reached: Set<string>,
): number {
  if (!isRecord(entry)) throw fieldError(where, path, 'an object', entry);
  const address = isNoAddress(entry.addr)
    ? null
    : (endpoint(entry.addr, where, `${path}.addr`)?.address ?? null);
  const probes = entry.probes ?? [];
  if (!Array.isArray(probes)) throw fieldError(where, `${path}.probes`, 'an array', probes);
  let lowest = MAX_TTL + 1;
  for (let p = 0; p < probes.length; p++) {
    const probe = probes[p];
    const probePath = `${path}.probes[${p}]`;
    if (!isRecord(probe)) throw fieldError(where, probePath, 'an object', probe);
    const ttl = probe.ttl;
    if (!isInt(ttl, 1, MAX_TTL)) throw fieldError(where, `${probePath}.ttl`, `an integer 1-${MAX_TTL}`, ttl);
    if (ttl < lowest) lowest = ttl;
    const replies = probe.replies ?? [];
    if (!Array.isArray(replies)) throw fieldError(where, `${probePath}.replies`, 'an array', replies);
    if (address === null || replies.length === 0) {
      hops.add(ttl, { address: null, rttMs: null });
      continue;
    }
    reached.add(address);
    for (let r = 0; r < replies.length; r++) {
      const rx = replies[r];
      const rxPath = `${probePath}.replies[${r}]`;
      if (!isRecord(rx)) throw fieldError(where, rxPath, 'an object', rx);
      if (!isNumberIn(rx.rtt, 0, MAX_RTT_MS))
        throw fieldError(where, `${rxPath}.rtt`, 'milliseconds', rx.rtt);
      const reply: Reply = { address, rttMs: rx.rtt };
      if (rx.ttl !== undefined) {
        if (!isInt(rx.ttl, 0, 255)) throw fieldError(where, `${rxPath}.ttl`, '0-255', rx.ttl);
        reply.replyTtl = rx.ttl;
      }
      fillReply(reply, rx, version, where, rxPath);
      hops.add(ttl, reply);
    }
  }
  return lowest;
}
