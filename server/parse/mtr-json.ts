/**
 * `mtr --json` reports (mtr 0.92-0.95). mtr gives per-hop aggregates, not per-probe replies, so each hop
 * becomes one reply whose RTT is Best (the minimum is the tightest bound physics can use) and the rest of
 * the summary (Snt, Loss%, Last, Avg, Wrst, StDev) goes to `hop.stats`. `"host":"???"` is an unanswered
 * hop. mtr <= 0.93 wrote `count`, `tos`, `tests` as strings; later versions write numbers. `-z` adds
 * `"ASN":"AS13335"` (`AS???` when unknown); `-b` writes hosts as `name (address)`. Without `-n` or `-b`
 * the host is a name only: the reply then has no address. The JSON does not say which probe protocol mtr
 * used, so the method is `unknown` (the agent, which chose it, overrides it).
 */
import { parseIp } from '../../protocol/address/parse.ts';
import type { Hop, HopStats, IpVersion, Reply, Trace } from '../../protocol/trace.ts';
import { fieldError, isInt, isName, isNumberIn, isRecord, parseError } from './field-checks.ts';
import { HopCollector } from './hop-collector.ts';
import type { JsonInput } from './json-input.ts';
import { MAX_RTT_MS, MAX_TTL, type ParseLimits } from './limits.ts';
import type { TraceMeta } from './trace-meta.ts';

export function parseMtrJson(input: JsonInput, limits: ParseLimits): Trace[] {
  return input.records.map((record) =>
    mtrReportToTrace(record.value, input.document ? 'mtr JSON' : `line ${record.line}`, limits),
  );
}

/** A count that mtr <= 0.93 printed as a string ("10", tos as "0x0") and later versions as a number. */
function loose(value: unknown, min: number, max: number, hex = false): number | undefined {
  if (isInt(value, min, max)) return value;
  if (typeof value !== 'string' || value.length > 12) return undefined;
  const n = /^\d+$/.test(value) || (hex && /^0x[0-9a-f]+$/i.test(value)) ? Number(value) : Number.NaN;
  return isInt(n, min, max) ? n : undefined;
}

interface Host {
  address: string | null;
  name?: string;
}

/** `192.0.2.1`, `router.example (192.0.2.1)` (-b) or a bare name. */
function parseHost(host: string, where: string, path: string): Host {
  const ip = parseIp(host);
  if (ip !== null) return { address: ip.address };
  const open = host.lastIndexOf(' (');
  if (open > 0 && host.endsWith(')')) {
    const inner = parseIp(host.slice(open + 2, -1));
    const name = host.slice(0, open);
    if (inner !== null && isName(name)) return { address: inner.address, name };
  }
  if (!isName(host) || host.includes(' ')) throw fieldError(where, path, 'an address or host name', host);
  return { address: null, name: host };
}

const STAT_FIELDS = ['Last', 'Avg', 'Best', 'Wrst', 'StDev'] as const;

export function mtrReportToTrace(value: unknown, where: string, limits: ParseLimits): Trace {
  const report = isRecord(value) ? value.report : undefined;
  if (!isRecord(report))
    throw parseError(where, 'an mtr JSON report must be an object with a "report" member');
  const head = report.mtr;
  if (!isRecord(head)) throw fieldError(where, 'report.mtr', 'an object', head);
  const hubs = report.hubs;
  if (!Array.isArray(hubs)) throw fieldError(where, 'report.hubs', 'an array', hubs);

  if (typeof head.dst !== 'string') throw fieldError(where, 'report.mtr.dst', 'the traced host', head.dst);
  const destination = parseHost(head.dst, where, 'report.mtr.dst');
  const source: Host =
    typeof head.src === 'string' ? parseHost(head.src, where, 'report.mtr.src') : { address: null };
  const meta: TraceMeta = {};
  for (const [key, field, max] of [
    ['tests', 'tests', 1_000_000],
    ['tos', 'tos', 255],
    ['psize', 'psize', 65_535],
  ] as const) {
    if (head[field] === undefined) continue;
    const n = loose(head[field], 0, max, field === 'tos');
    if (n === undefined) throw fieldError(where, `report.mtr.${field}`, `an integer 0-${max}`, head[field]);
    meta[key] = n;
  }

  let version: IpVersion | undefined =
    destination.address === null ? undefined : parseIp(destination.address)?.version;
  const hops = new HopCollector(where, limits.maxRepliesPerHop);
  for (let i = 0; i < hubs.length; i++) {
    const hub = hubs[i];
    const path = `report.hubs[${i}]`;
    if (!isRecord(hub)) throw fieldError(where, path, 'an object', hub);
    const ttl = loose(hub.count, 1, MAX_TTL);
    if (ttl === undefined) throw fieldError(where, `${path}.count`, `a hop number 1-${MAX_TTL}`, hub.count);
    if (typeof hub.host !== 'string') throw fieldError(where, `${path}.host`, 'a host', hub.host);
    const stats = hubStats(hub, where, path);
    const reply: Reply = { address: null, rttMs: null };
    if (hub.host !== '???') {
      const host = parseHost(hub.host, where, `${path}.host`);
      reply.address = host.address;
      if (host.name !== undefined) reply.name = host.name;
      if (host.address !== null) version ??= parseIp(host.address)?.version;
      if (stats.bestMs !== null) reply.rttMs = stats.bestMs;
    }
    const asn = hubAsn(hub.ASN, where, `${path}.ASN`);
    if (asn !== undefined) reply.asn = asn;
    hops.add(ttl, reply);
    (hops.hop(ttl) as Hop).stats = stats;
  }
  const trace: Trace = {
    tool: 'mtr',
    method: 'unknown',
    ipVersion: version ?? 4,
    source,
    destination,
    startedAt: null,
    hops: hops.hops(),
    meta,
  };
  // `tests` is mtr's -c: the probes it sends to each TTL, which each hop's Snt must not exceed.
  if (typeof meta.tests === 'number' && meta.tests > 0) trace.probing = { attemptsPerHop: meta.tests };
  return trace;
}

function hubStats(hub: Record<string, unknown>, where: string, path: string): HopStats {
  const sent = loose(hub.Snt, 0, 0xffff_ffff);
  if (sent === undefined) throw fieldError(where, `${path}.Snt`, 'a probe count', hub.Snt);
  const loss = hub['Loss%'];
  if (!isNumberIn(loss, 0, 100)) throw fieldError(where, `${path}["Loss%"]`, 'a percentage 0-100', loss);
  // Nothing answered: mtr prints 0.0 for every RTT, which is not an RTT.
  const answered = hub.host !== '???' && loss < 100 && sent > 0;
  const rtts: (number | null)[] = [];
  for (const field of STAT_FIELDS) {
    const v = hub[field];
    if (!isNumberIn(v, 0, MAX_RTT_MS)) throw fieldError(where, `${path}.${field}`, 'milliseconds', v);
    rtts.push(answered ? v : null);
  }
  const [lastMs, avgMs, bestMs, worstMs, stdevMs] = rtts as [
    number | null,
    number | null,
    number | null,
    number | null,
    number | null,
  ];
  return { sent, lossPct: loss, lastMs, avgMs, bestMs, worstMs, stdevMs };
}

function hubAsn(value: unknown, where: string, path: string): number | undefined {
  if (value === undefined || value === 'AS???') return undefined;
  if (typeof value === 'string' && value.startsWith('AS')) {
    const n = loose(value.slice(2), 0, 0xffff_ffff);
    if (n !== undefined) return n;
  }
  throw fieldError(where, path, '"AS<number>" or "AS???"', value);
}
