/**
 * What mtr's summary outputs (report and screen text, --csv, --xml) share: column titles, hosts as mtr prints
 * them, and one hop per row whose single reply carries Best as its RTT while the row's figures go to
 * `hop.stats`. The destination, when the output does not name it, is the last row's responder: mtr ends its
 * table at the first TTL the target answered.
 */
import { parseIp } from '../../protocol/address/parse.ts';
import type { Hop, HopStats, IpVersion, Reply, Trace } from '../../protocol/trace.ts';
import { isShortText } from './field-checks.ts';
import { MAX_RTT_MS } from './limits.ts';
import { printedRtt } from './paste-tolerance.ts';

/** mtr's column titles (`-o` letters L D R S N B A W V G J M X I). */
export const STAT_COLUMNS: ReadonlySet<string> = new Set([
  'Loss%',
  'Drop',
  'Rcv',
  'Snt',
  'Last',
  'Best',
  'Avg',
  'Wrst',
  'StDev',
  'Gmean',
  'Jttr',
  'Javg',
  'Jmax',
  'Jint',
]);

export const SUMMARY_RTT_NOTE =
  "each hop's RTT is mtr's Best, the fastest of its Snt probes (the tightest distance bound); Loss%, Snt, Last, Avg, Wrst and StDev are kept in the hop's statistics";

export interface Host {
  address: string | null;
  name?: string;
}

/** `192.0.2.1`, `name (192.0.2.1)` (-b) or a bare name; null when the text cannot be a host. */
export function readHost(text: string): Host | null {
  const ip = parseIp(text);
  if (ip !== null) return { address: ip.address };
  const open = text.lastIndexOf(' (');
  if (open > 0 && text.endsWith(')')) {
    const inner = parseIp(text.slice(open + 2, -1));
    const name = text.slice(0, open);
    if (inner !== null && isShortText(name) && !name.includes(' ')) return { address: inner.address, name };
    return null;
  }
  if (text === '' || text.includes(' ') || !isShortText(text)) return null;
  return { address: null, name: text };
}

/** `AS13335` -> 13335; `AS???` and anything else -> undefined. */
export function readAsn(token: string): number | undefined {
  const m = /^AS(\d{1,10})$/.exec(token);
  const n = m === null ? Number.NaN : Number(m[1]);
  return Number.isSafeInteger(n) && n <= 0xffff_ffff ? n : undefined;
}

/** A figure as mtr prints it: `0.0%`, `100.0` (the % dropped when the column is full), `3`, `12.5`. */
export function figure(token: string): number | null {
  const t = token.endsWith('%') ? token.slice(0, -1) : token;
  if (!/^\d{1,9}(?:\.\d+)?$/.test(t)) return null;
  return Number(t);
}

/**
 * The hop statistics of one row's figures by column title, or why they cannot be. A printed time of 0 reads as
 * `zeroMeansBelow`, the largest value it stands for at the output's resolution (see printedRtt).
 */
export function rowStats(figures: ReadonlyMap<string, number>, zeroMeansBelow: number): HopStats | string {
  const snt = figures.get('Snt');
  const rcv = figures.get('Rcv');
  const drop = figures.get('Drop');
  const sent = snt ?? (rcv !== undefined && drop !== undefined ? rcv + drop : undefined);
  if (sent === undefined || !Number.isSafeInteger(sent)) return 'no Snt figure to count the probes';
  const lossPct =
    figures.get('Loss%') ?? (sent > 0 && rcv !== undefined ? 100 * (1 - rcv / sent) : undefined);
  if (lossPct === undefined || lossPct > 100) return 'Loss% is not a percentage';
  const answered = lossPct < 100 && sent > 0;
  // Nothing answered: mtr prints 0.0 for every RTT, which is not an RTT.
  const rtt = (name: string): number | null => {
    const v = figures.get(name);
    return !answered || v === undefined || v > MAX_RTT_MS ? null : printedRtt(v, zeroMeansBelow);
  };
  return {
    sent,
    lossPct,
    lastMs: rtt('Last'),
    avgMs: rtt('Avg'),
    bestMs: rtt('Best'),
    worstMs: rtt('Wrst'),
    stdevMs: answered ? (figures.get('StDev') ?? null) : null,
  };
}

/** Whether an answered row printed a time of 0 (which rowStats reads as its bound). */
export function printsZero(figures: ReadonlyMap<string, number>): boolean {
  const loss = figures.get('Loss%');
  if (loss !== undefined && loss >= 100) return false;
  return ['Last', 'Avg', 'Best', 'Wrst'].some((k) => figures.get(k) === 0);
}

/** The hop for one row: one reply from `host` (null for mtr's `???`) with Best as its RTT. */
export function summaryHop(ttl: number, host: Host | null, stats: HopStats): Hop {
  if (host === null || stats.bestMs === null) {
    for (const k of ['lastMs', 'avgMs', 'bestMs', 'worstMs', 'stdevMs'] as const) stats[k] = null;
    return { ttl, replies: [{ address: null, rttMs: null }], stats };
  }
  const reply: Reply = { address: host.address, rttMs: stats.bestMs };
  if (host.name !== undefined) reply.name = host.name;
  return { ttl, replies: [reply], stats };
}

/**
 * Settles what every summary trace needs once its hops are in: the destination (named by the output, else the
 * last row's responder), the IP version, the probes per hop (the largest Snt), and the warnings saying what
 * was taken and which figure the physics uses.
 */
export interface SummaryFacts {
  /** The output, as the warnings name it ("the report", "mtr --csv"). */
  what: string;
  /** The bound a printed 0 was read as, when one was. */
  zeroReadAs: number | null;
  /** How to get addresses instead of names from the tool. */
  namesHint: string;
  /** The last row could not be read (cut off): the row before it is not the end of the table. */
  lastRowLost: boolean;
}

export function finishSummary(
  trace: Trace,
  { what, zeroReadAs, namesHint, lastRowLost }: SummaryFacts,
): void {
  const notes: string[] = [];
  const last = trace.hops[trace.hops.length - 1];
  const lastReply = last?.replies.find((r) => r.address !== null || r.name !== undefined);
  if (trace.destination.address === null && trace.destination.name === undefined) {
    if (lastRowLost) {
      notes.push(
        `${what} does not name the traced host, and its last row could not be read: destination unknown`,
      );
    } else if (lastReply !== undefined) {
      trace.destination = { address: lastReply.address };
      if (lastReply.name !== undefined) trace.destination.name = lastReply.name;
      notes.push(
        `${what} does not name the traced host: taken as the last hop's ${lastReply.address ?? lastReply.name} (the table ends at the target)`,
      );
    } else if (trace.hops.length > 0) {
      notes.push(
        `${what} does not name the traced host, and its last hop did not answer: destination unknown`,
      );
    }
  }
  let version: IpVersion | undefined =
    trace.destination.address === null ? undefined : parseIp(trace.destination.address)?.version;
  let namesOnly = false;
  for (const hop of trace.hops) {
    for (const reply of hop.replies) {
      if (reply.address !== null) version ??= parseIp(reply.address)?.version;
      else if (reply.name !== undefined) namesOnly = true;
    }
  }
  trace.ipVersion = version ?? 4;
  if (namesOnly)
    notes.push(`${what} names some hops without their addresses (${namesHint}): those cannot be located`);
  if (trace.hops.some((h) => h.stats !== undefined && h.stats.bestMs !== null)) notes.push(SUMMARY_RTT_NOTE);
  if (zeroReadAs !== null) {
    notes.push(
      `a time printed as 0 is a reply faster than the output shows: read as ${zeroReadAs} ms, the largest value it stands for`,
    );
  }
  const sent = Math.max(0, ...trace.hops.map((h) => h.stats?.sent ?? 0));
  // The tool's own count (mtr --xml TESTS) when it states one; else the most probes any row counted.
  if (sent > 0 && trace.probing?.attemptsPerHop === undefined)
    trace.probing = { ...trace.probing, attemptsPerHop: sent };
  if (notes.length > 0) trace.warnings = [...(trace.warnings ?? []), ...notes];
}
