/**
 * `mtr --raw` (mtr 0.9x): one event per line, hop positions counted from 0 (TTL 1):
 *   `x POS SEQ`   probe SEQ sent to POS          `h POS ADDR`  POS answered from ADDR
 *   `p POS USEC SEQ` the reply to SEQ, after USEC microseconds   `d POS NAME`  the reverse name of POS's ADDR
 * Unlike mtr's report this is per probe: each `x` becomes one reply, answered (by the latest `h` for its hop)
 * when a `p` names its SEQ, a timeout otherwise. The raw stream never names the traced host. mtr's first round
 * probes several TTLs at once, so the target answers at every TTL past its own; those repeats are dropped (as
 * mtr's own report drops them) and the repeated responder is taken as the destination, both said in warnings.
 */
import { parseIp } from '../../protocol/address/parse.ts';
import type { Hop, IpVersion, Reply, Trace } from '../../protocol/trace.ts';
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
  quoted,
  Warnings,
  withoutInterrupt,
} from './paste-tolerance.ts';

const EVENT = /^\s*([xhpd])\s+(\d{1,3})\s+(\S+)(?:\s+(\d{1,10}))?\s*$/;

interface Probe {
  pos: number;
  reply: Reply | null;
}

export function parseMtrRaw(text: string, limits: ParseLimits): Trace[] {
  const warnings = new Warnings();
  const probes = new Map<string, Probe>();
  const order: Probe[] = [];
  const hostAt = new Map<number, string>();
  const names = new Map<string, string>();
  let events = 0;
  let first: string | null = null;

  forEachLine(text, (raw, lineNumber) => {
    if (raw.length > limits.maxTextLineChars) throw lineTooLong(lineNumber, raw.length, limits);
    const { line, interrupted } = withoutInterrupt(raw);
    if (interrupted) warnings.line(lineNumber, INTERRUPTED);
    if (line.trim() === '') return;
    const m = EVENT.exec(line);
    const problem = m === null ? null : event(m);
    if (m !== null && problem === null) {
      events++;
      return;
    }
    const noise = problem === null ? noiseOf(line) : null;
    const message =
      problem ??
      (noise !== null ? noiseWarning(noise, line) : `skipped ${quoted(line)}: not an mtr --raw event`);
    first ??= `line ${lineNumber}: ${message}`;
    warnings.line(lineNumber, message);
  });

  function event(m: RegExpExecArray): string | null {
    const [kind, posText, value, seqText] = [m[1], m[2], m[3] as string, m[4]];
    const pos = Number(posText);
    if (pos >= MAX_TTL) return `hop position ${pos} is beyond TTL ${MAX_TTL}`;
    if (kind === 'x') {
      if (seqText !== undefined || !/^\d{1,10}$/.test(value)) return 'an x event is "x POS SEQ"';
      if (probes.has(value)) return `probe ${value} is sent twice`;
      if (order.length >= limits.maxRepliesPerHop * MAX_TTL) return 'more probes than any trace sends';
      const probe: Probe = { pos, reply: null };
      probes.set(value, probe);
      order.push(probe);
      return null;
    }
    if (kind === 'h') {
      const ip = parseIp(value);
      if (ip === null || seqText !== undefined) return `${quoted(value)} is not an address`;
      hostAt.set(pos, ip.address);
      return null;
    }
    if (kind === 'd') {
      const address = hostAt.get(pos);
      if (address !== undefined && isShortText(value) && seqText === undefined) names.set(address, value);
      return null;
    }
    // p POS USEC SEQ
    if (seqText === undefined || !/^\d{1,10}$/.test(value)) return 'a p event is "p POS USEC SEQ"';
    const probe = probes.get(seqText);
    const address = hostAt.get(pos);
    if (probe === undefined) return `a reply to probe ${seqText}, which was never sent (no x line)`;
    if (probe.pos !== pos) return `probe ${seqText} was sent to hop ${probe.pos}, not ${pos}`;
    if (address === undefined) return `a reply at hop ${pos} before any h line names its responder`;
    const rttMs = Number(value) / 1000;
    if (rttMs > MAX_RTT_MS) return `${rttMs} ms is not a round-trip time`;
    probe.reply = { address, rttMs };
    return null;
  }

  if (events === 0) throw parseError('mtr --raw', `no mtr --raw events found (${first ?? 'empty'})`);
  const trace = emptyTrace('mtr', 'unknown', 'raw');
  const hops = new HopCollector('mtr --raw', limits.maxRepliesPerHop);
  for (const probe of order) {
    const reply = probe.reply ?? { address: null, rttMs: null };
    const name = reply.address === null ? undefined : names.get(reply.address);
    if (name !== undefined) reply.name = name;
    hops.add(probe.pos + 1, reply);
  }
  trace.hops = hops.hops();
  warnings.flushInto(trace);
  endAtDestination(trace);
  let version: IpVersion | undefined;
  for (const hop of trace.hops)
    for (const r of hop.replies) if (r.address !== null) version ??= parseIp(r.address)?.version;
  trace.ipVersion = version ?? 4;
  const most = Math.max(0, ...trace.hops.map((h) => h.replies.length));
  if (most > 0) trace.probing = { attemptsPerHop: most };
  return [trace];
}

function only(hop: Hop): string | null {
  let found: string | null = null;
  for (const r of hop.replies) {
    if (r.address === null) continue;
    if (found !== null && found !== r.address) return null;
    found = r.address;
  }
  return found;
}

/** The trailing TTLs answered only by one address: the target, answering every probe that passed it. */
function endAtDestination(trace: Trace): void {
  const hops = trace.hops;
  const last = hops[hops.length - 1];
  const target = last === undefined ? null : only(last);
  if (target === null) {
    trace.warnings = [
      ...(trace.warnings ?? []),
      'mtr --raw does not name the traced host, and its last hop did not answer from one address: destination unknown',
    ];
    return;
  }
  let firstAt = hops.length - 1;
  while (firstAt > 0 && only(hops[firstAt - 1] as Hop) === target) firstAt--;
  const notes = [`mtr --raw does not name the traced host: taken as ${target}, which answered the last TTL`];
  if (firstAt < hops.length - 1) {
    const dropped = hops.slice(firstAt + 1).map((h) => h.ttl);
    notes.push(
      `TTL ${dropped.join(', ')} answered by ${target} again, after it answered TTL ${(hops[firstAt] as Hop).ttl}: dropped, as mtr's report does`,
    );
    trace.hops = hops.slice(0, firstAt + 1);
  }
  trace.destination = { address: target };
  trace.warnings = [...(trace.warnings ?? []), ...notes];
}
