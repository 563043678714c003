/**
 * `mtr --xml` (0.9x): `<MTR SRC= DST= TOS= PSIZE= BITPATTERN= TESTS=>` holding one `<HUB COUNT= HOST=>` per hop
 * whose child elements are the figures (`<Loss>  0.0%</Loss>`, `<Snt>`, `<Best>`, ...). mtr writes this fixed
 * shape itself, so it is read with patterns rather than a general XML parser: an input that is not that shape
 * is refused. A summary like the report: Best (one decimal) is each hop's RTT, the figures go to `hop.stats`.
 */
import type { Hop, Trace } from '../../protocol/trace.ts';
import { isShortText, parseError } from './field-checks.ts';
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
import { emptyTrace, quoted, Warnings } from './paste-tolerance.ts';

const ZERO_MEANS_BELOW_MS = 0.05;
/** The attributes of an element's opening tag, up to its `>`. */
const OPEN_TAG = /^<(MTR|HUB)\b([^<>]*)>/;
const FIELD = /<([A-Za-z%]{1,8})>\s*([^<]*?)\s*<\/\1>/g;
const ATTRIBUTE = /([A-Za-z]+)="([^"]*)"/g;

/** XML's five entities; mtr escapes nothing else. */
function xmlText(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'quot' ? '"' : "'",
  );
}

function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(ATTRIBUTE)) out.set((m[1] as string).toUpperCase(), xmlText(m[2] as string));
  return out;
}

export function parseMtrXml(text: string, limits: ParseLimits): Trace[] {
  if (text.length > limits.maxJsonChars)
    throw parseError('mtr XML', 'the document is larger than any mtr writes');
  // One forward scan (indexOf from where the last element ended), so no input costs more than linear time.
  const traces: Trace[] = [];
  let at = text.indexOf('<MTR');
  if (at === -1) throw parseError('mtr XML', 'no <MTR ...> element: not the output of mtr --xml');
  while (at !== -1) {
    const open = OPEN_TAG.exec(text.slice(at, at + 4096));
    if (open === null || open[1] !== 'MTR')
      throw parseError('mtr XML', 'an <MTR element without its closing ">"');
    const bodyStart = at + open[0].length;
    const end = text.indexOf('</MTR>', bodyStart);
    const next = text.indexOf('<MTR', bodyStart);
    const stop = end === -1 ? (next === -1 ? text.length : next) : next !== -1 && next < end ? next : end;
    traces.push(oneReport(attributes(open[2] as string), text.slice(bodyStart, stop), stop !== end));
    at = next === -1 || next < stop ? -1 : text.indexOf('<MTR', stop);
  }
  return traces;
}

/** Each `<HUB ...>...</HUB>` of one report body, in order; `cut` when the last one never closes. */
function hubs(body: string): { hubs: { attributes: string; inner: string }[]; cut: boolean } {
  const out: { attributes: string; inner: string }[] = [];
  let at = body.indexOf('<HUB');
  while (at !== -1) {
    const open = OPEN_TAG.exec(body.slice(at, at + 4096));
    const close = body.indexOf('</HUB>', at);
    if (open === null || open[1] !== 'HUB' || close === -1) return { hubs: out, cut: true };
    out.push({ attributes: open[2] as string, inner: body.slice(at + open[0].length, close) });
    at = body.indexOf('<HUB', close);
  }
  return { hubs: out, cut: false };
}

function oneReport(head: Map<string, string>, body: string, cutOff: boolean): Trace {
  const trace = emptyTrace('mtr', 'unknown', 'xml');
  const warnings = new Warnings();
  const src = readHost(head.get('SRC') ?? '');
  if (src !== null) trace.source = { ...src };
  const dst = readHost(head.get('DST') ?? '');
  if (dst !== null) trace.destination = { ...dst };
  const tests = Number(head.get('TESTS'));
  const hops = new Map<number, Hop>();
  let zeroSeen = false;
  const found = hubs(body);
  if (found.hubs.length > MAX_TTL) throw parseError('mtr XML', 'more <HUB> elements than TTLs');
  for (const hub of found.hubs) {
    const a = attributes(hub.attributes);
    const ttl = Number(a.get('COUNT'));
    const where = `<HUB COUNT=${quoted(a.get('COUNT') ?? '')}>`;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL || hops.has(ttl)) {
      warnings.add(`skipped ${where}: COUNT must be a TTL 1-${MAX_TTL}, listed once`);
      continue;
    }
    const figures = new Map<string, number>();
    let bad: string | null = null;
    for (const f of hub.inner.matchAll(FIELD)) {
      const name = f[1] === 'Loss' ? 'Loss%' : (f[1] as string);
      if (!STAT_COLUMNS.has(name)) continue;
      const value = figure(f[2] as string);
      if (value === null) bad ??= name;
      else figures.set(name, value);
    }
    const stats = bad === null ? rowStats(figures, ZERO_MEANS_BELOW_MS) : `${bad} is not a number`;
    if (bad === null && printsZero(figures)) zeroSeen = true;
    if (typeof stats === 'string') {
      warnings.add(`skipped ${where}: ${stats}`);
      continue;
    }
    const hostText = a.get('HOST') ?? '???';
    const host = hostText === '???' ? null : readHost(hostText);
    if (host === null && hostText !== '???') {
      warnings.add(`skipped ${where}: ${quoted(hostText)} is not a host`);
      continue;
    }
    const hop = summaryHop(ttl, host, stats);
    const asn = readAsn(a.get('ASN') ?? '');
    if (asn !== undefined && hop.replies[0]?.rttMs != null) (hop.replies[0] as { asn?: number }).asn = asn;
    hops.set(ttl, hop);
  }
  if (hops.size === 0)
    throw parseError('mtr XML', `no readable <HUB> in <MTR> (${warnings.first(1)[0] ?? 'none'})`);
  if (cutOff || found.cut) warnings.add('the document is cut off before </MTR>: later hops may be missing');
  trace.hops = [...hops.values()].sort((x, y) => x.ttl - y.ttl);
  const version = head.get('VERSION');
  if (version !== undefined && isShortText(version)) trace.meta = { ...trace.meta, mtr_version: version };
  if (Number.isSafeInteger(tests) && tests > 0) trace.probing = { attemptsPerHop: tests };
  warnings.flushInto(trace);
  finishSummary(trace, {
    what: 'mtr --xml',
    zeroReadAs: zeroSeen ? ZERO_MEANS_BELOW_MS : null,
    namesHint: 'run mtr with -n',
    lastRowLost: cutOff || found.cut,
  });
  return trace;
}
