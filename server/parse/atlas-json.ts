/**
 * RIPE Atlas traceroute results, one object each: alone, in a JSON array (the API's default download) or
 * one per line (`format=txt`). Semantics follow RIPE's own parser, ripe-atlas-sagan:
 * - every entry of `result` is a hop, including the final `hop: 255` probe and hops that only carry an
 *   `error` (an entry without `hop` number follows the previous one);
 * - packets with a `late` key answered a probe of an earlier TTL: they are dropped;
 * - `{"x":"*"}` is a timeout; `err` marks an ICMP error (H, N, A, P, p, h or a numeric unreachable code);
 * - `icmpext` MPLS objects become labels; `dst_addr` may be missing (name resolution failed) and `from`
 *   (the probe's public address, kept in meta) may be empty.
 * `paris_id` is the flow identifier. Atlas reports 0 both when Paris mode is off and (possibly) as one
 * variation, so only a positive paris_id is taken as proof of a flow-stable trace.
 * Hot path of bulk imports: one pass, no regexes, addresses validated once per run of equal strings.
 */
import { type ParsedIp, parseIp } from '../../protocol/address/parse.ts';
import type { MplsLabel, ProbeMethod, Reply, ReplyFlag, Trace } from '../../protocol/trace.ts';
import { fieldError, isInt, isName, isNumberIn, isoFromUnix, isRecord, parseError } from './field-checks.ts';
import { HopCollector } from './hop-collector.ts';
import { unreachableFlag } from './icmp-flags.ts';
import type { JsonInput } from './json-input.ts';
import { MAX_MESSAGE_CHARS, MAX_MPLS_LABELS, MAX_RTT_MS, MAX_TTL, type ParseLimits } from './limits.ts';
import { copyMetaInt, type TraceMeta } from './trace-meta.ts';

/** Atlas `err` letters (probe firmware, documented in the Atlas result format). */
const ERR_FLAGS: Record<string, ReplyFlag> = {
  N: 'network-unreachable',
  H: 'host-unreachable',
  A: 'admin-prohibited',
  P: 'protocol-unreachable',
  p: 'port-unreachable',
  h: 'other', // beyond scope of source address (ICMPv6)
};

const PROTOCOLS: Record<string, 'udp' | 'icmp' | 'tcp'> = { UDP: 'udp', ICMP: 'icmp', TCP: 'tcp' };

/** Every result in an Atlas input: objects, arrays of objects, or NDJSON lines of either. */
export function parseAtlasJson(input: JsonInput, limits: ParseLimits): Trace[] {
  const traces: Trace[] = [];
  for (const record of input.records) {
    const where = input.document ? 'RIPE Atlas JSON' : `line ${record.line}`;
    for (const trace of atlasRecordToTraces(record.value, where, limits)) traces.push(trace);
  }
  return traces;
}

/** One parsed JSON value: a result object, or an array of them. */
export function atlasRecordToTraces(value: unknown, where: string, limits: ParseLimits): Trace[] {
  if (!Array.isArray(value)) return [atlasResultToTrace(value, where, limits)];
  const traces: Trace[] = [];
  for (let i = 0; i < value.length; i++) traces.push(atlasResultToTrace(value[i], `${where} [${i}]`, limits));
  return traces;
}

function address(value: unknown, where: string, path: string): ParsedIp | null {
  if (value === undefined || value === '') return null;
  const ip = typeof value === 'string' ? parseIp(value) : null;
  if (ip === null) throw fieldError(where, path, 'an IP address', value);
  return ip;
}

export function atlasResultToTrace(value: unknown, where: string, limits: ParseLimits): Trace {
  if (!isRecord(value)) throw parseError(where, 'a RIPE Atlas result must be a JSON object');
  const o = value;
  if (o.type !== undefined && o.type !== 'traceroute') {
    throw fieldError(where, '"type"', '"traceroute" (other Atlas measurement types are not traces)', o.type);
  }
  if (!Array.isArray(o.result)) throw fieldError(where, '"result"', 'an array of hops', o.result);
  const dst = address(o.dst_addr, where, '"dst_addr"');
  const src = address(o.src_addr, where, '"src_addr"');
  const from = address(o.from, where, '"from"');
  let af: 4 | 6 | undefined;
  if (o.af === 4 || o.af === 6) af = o.af;
  else if (o.af !== undefined) throw fieldError(where, '"af"', '4 or 6', o.af);
  const version = af ?? dst?.version ?? src?.version ?? from?.version;
  if (version === undefined)
    throw parseError(where, 'the result has neither "af" nor an address to tell IPv4 from IPv6');

  const proto = o.proto;
  // Own keys of a string only: an array key is stringified (recursively), "toString" is Object.prototype's.
  const protocol =
    typeof proto === 'string' && Object.hasOwn(PROTOCOLS, proto) ? PROTOCOLS[proto] : undefined;
  if (proto !== undefined && protocol === undefined)
    throw fieldError(where, '"proto"', 'UDP, ICMP or TCP', proto);
  const parisId = o.paris_id;
  if (parisId !== undefined && !isInt(parisId, 0, 65535))
    throw fieldError(where, '"paris_id"', '0-65535', parisId);
  let method: ProbeMethod = 'unknown';
  if (protocol !== undefined) method = parisId !== undefined && parisId > 0 ? `${protocol}-paris` : protocol;

  let startedAt: string | null = null;
  if (o.timestamp !== undefined) {
    startedAt = isoFromUnix(o.timestamp);
    if (startedAt === null) throw fieldError(where, '"timestamp"', 'Unix seconds', o.timestamp);
  }
  const meta: TraceMeta = {};
  copyMetaInt(meta, 'msm_id', o.msm_id, where, '"msm_id"');
  copyMetaInt(meta, 'prb_id', o.prb_id, where, '"prb_id"');
  copyMetaInt(meta, 'fw', o.fw, where, '"fw"');
  if (parisId !== undefined) meta.paris_id = parisId;
  if (proto !== undefined) meta.proto = proto as string;
  copyMetaInt(meta, 'timestamp', o.timestamp, where, '"timestamp"');
  copyMetaInt(meta, 'endtime', o.endtime, where, '"endtime"');
  if (o.lts !== undefined) {
    // Seconds since the probe last synchronised its clock; -1 when it never did.
    if (!isInt(o.lts, -1, 0xffff_ffff)) throw fieldError(where, '"lts"', 'an integer >= -1', o.lts);
    meta.lts = o.lts;
  }
  copyMetaInt(meta, 'size', o.size, where, '"size"');
  if (from !== null) meta.from = from.address;

  const destination: Trace['destination'] = { address: dst?.address ?? null };
  if (o.dst_name !== undefined) {
    if (!isName(o.dst_name)) throw fieldError(where, '"dst_name"', 'a host name', o.dst_name);
    destination.name = o.dst_name;
  }
  const trace: Trace = {
    tool: 'atlas',
    method,
    ipVersion: version,
    source:
      from !== null && from.address !== src?.address
        ? { address: src?.address ?? null, publicAddress: from.address }
        : { address: src?.address ?? null },
    destination,
    startedAt,
    hops: readHops(o.result, version, where, limits),
    meta,
  };
  if (parisId !== undefined) trace.flowId = parisId;
  return trace;
}

function readHops(result: unknown[], version: 4 | 6, where: string, limits: ParseLimits) {
  const hops = new HopCollector(where, limits.maxRepliesPerHop);
  let previousTtl = 0;
  let lastFrom: unknown;
  let lastIp: ParsedIp | null = null;
  for (let i = 0; i < result.length; i++) {
    const entry = result[i];
    if (!isRecord(entry)) throw fieldError(where, `result[${i}]`, 'an object', entry);
    let ttl = entry.hop;
    if (ttl === undefined) ttl = previousTtl + 1;
    else if (!isInt(ttl, 1, MAX_TTL))
      throw fieldError(where, `result[${i}].hop`, `an integer 1-${MAX_TTL}`, ttl);
    previousTtl = ttl as number;
    const hop = hops.hop(previousTtl);
    if (entry.error !== undefined) {
      if (typeof entry.error !== 'string' || entry.error.length > MAX_MESSAGE_CHARS) {
        throw fieldError(where, `result[${i}].error`, 'a short message', entry.error);
      }
      hop.error = entry.error;
    }
    const packets = entry.result;
    if (packets === undefined) continue;
    if (!Array.isArray(packets))
      throw fieldError(where, `result[${i}].result`, 'an array of packets', packets);
    for (let j = 0; j < packets.length; j++) {
      const p = packets[j];
      if (!isRecord(p)) throw fieldError(where, `result[${i}].result[${j}]`, 'an object', p);
      if (p.late !== undefined) continue;
      if (p.x !== undefined) {
        hops.add(previousTtl, { address: null, rttMs: null });
        continue;
      }
      const from = p.from;
      if (from !== lastFrom) {
        lastFrom = from;
        lastIp = from === undefined ? null : typeof from === 'string' ? parseIp(from) : null;
        if (lastIp === null && from !== undefined) {
          throw fieldError(where, `result[${i}].result[${j}].from`, 'an IP address', from);
        }
      }
      const rtt = p.rtt;
      if (rtt !== undefined && !isNumberIn(rtt, 0, MAX_RTT_MS)) {
        throw fieldError(where, `result[${i}].result[${j}].rtt`, `milliseconds 0-${MAX_RTT_MS}`, rtt);
      }
      const reply: Reply = { address: lastIp === null ? null : lastIp.address, rttMs: rtt ?? null };
      if (p.ttl !== undefined) {
        if (!isInt(p.ttl, 0, 255)) throw fieldError(where, `result[${i}].result[${j}].ttl`, '0-255', p.ttl);
        reply.replyTtl = p.ttl;
      }
      if (p.err !== undefined) errFlag(reply, p.err, version, where, `result[${i}].result[${j}].err`);
      if (p.icmpext !== undefined) {
        const mpls = atlasMpls(p.icmpext, where, `result[${i}].result[${j}].icmpext`);
        if (mpls !== undefined) reply.mpls = mpls;
      }
      hops.add(previousTtl, reply);
    }
  }
  return hops.hops();
}

function errFlag(reply: Reply, err: unknown, version: 4 | 6, where: string, path: string): void {
  if (typeof err === 'string' && err.length >= 1 && err.length <= 8 && isName(err)) {
    reply.flag = Object.hasOwn(ERR_FLAGS, err) ? (ERR_FLAGS[err] as ReplyFlag) : 'other';
    reply.rawFlag = err;
    return;
  }
  if (isInt(err, 0, 255)) {
    reply.flag = unreachableFlag(version, err);
    reply.rawFlag = String(err);
    return;
  }
  throw fieldError(where, path, 'an Atlas error code (N, H, A, P, p, h or an ICMP code)', err);
}

/** Atlas icmpext: {version, rfc4884, obj:[{class, type, mpls:[{label, exp, s, ttl}]}]}. */
function atlasMpls(ext: unknown, where: string, path: string): MplsLabel[] | undefined {
  if (!isRecord(ext)) throw fieldError(where, path, 'an object', ext);
  if (ext.obj === undefined) return undefined;
  if (!Array.isArray(ext.obj)) throw fieldError(where, `${path}.obj`, 'an array', ext.obj);
  let labels: MplsLabel[] | undefined;
  for (const obj of ext.obj) {
    if (!isRecord(obj)) throw fieldError(where, `${path}.obj`, 'an array of objects', obj);
    if (obj.mpls === undefined) continue;
    if (!Array.isArray(obj.mpls) || obj.mpls.length > MAX_MPLS_LABELS) {
      throw fieldError(where, `${path}.obj.mpls`, `an array of at most ${MAX_MPLS_LABELS} labels`, obj.mpls);
    }
    for (const m of obj.mpls) {
      if (
        !isRecord(m) ||
        !isInt(m.label, 0, 0xfffff) ||
        !isInt(m.exp, 0, 7) ||
        !isInt(m.s, 0, 1) ||
        !isInt(m.ttl, 0, 255)
      ) {
        throw fieldError(
          where,
          `${path}.obj.mpls`,
          'labels with 20-bit label, 3-bit exp, s 0/1, 8-bit ttl',
          m,
        );
      }
      labels ??= [];
      labels.push({ label: m.label, tc: m.exp, s: m.s === 1, ttl: m.ttl });
    }
  }
  return labels;
}
