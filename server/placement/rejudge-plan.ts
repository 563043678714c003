/**
 * The pure parts of re-judging (issue 15, item 6): which trace to judge again from what was stored, and what
 * changed. An agent's trace is read again from its raw output by the same parsers ingest used, with the
 * reverse names its verdict recorded (the coordinator's PTR lookups are not in the raw output); an imported
 * trace, or one whose raw output retention deleted, is rebuilt from its stored hop rows (one reply per
 * responder and TTL, at its lowest RTT: what the physics reads).
 */
import type { VerdictChangeItem } from '../../protocol/location-corrections.ts';
import type { Hop, Trace } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';
import type { RejudgeCandidate } from '../store/location-correction-store.ts';

export type ParseTraces = (output: string, engine: NonNullable<RejudgeCandidate['raw']>['engine']) => Trace[];

/** The candidate's trace from its raw output, when kept and still readable; null otherwise. */
function fromRaw(c: RejudgeCandidate, parse: ParseTraces): Trace | null {
  if (c.raw === null) return null;
  let parsed: Trace[];
  try {
    parsed = parse(c.raw.output, c.raw.engine);
  } catch {
    return null;
  }
  const same = (t: Trace) =>
    t.destination.address === c.destinationIp &&
    t.source.address === c.sourceIp &&
    (t.startedAt === null || Date.parse(t.startedAt) === c.startedAt);
  const found = parsed.find(same) ?? (parsed.length === 1 ? (parsed[0] as Trace) : null);
  if (found === null) return null;
  const trace: Trace = { ...found, source: { ...found.source } };
  if (c.agentId !== null) trace.source.agentId = c.agentId;
  // As ingest did: the agent said how it probed when the tool's output does not.
  if (trace.method === 'unknown') trace.method = c.method;
  return trace;
}

/** The candidate's trace from its stored hop rows. */
function fromHops(c: RejudgeCandidate): Trace {
  const byTtl = new Map<number, Hop>();
  for (const h of c.hops) {
    const hop = byTtl.get(h.ttl) ?? { ttl: h.ttl, replies: [] };
    hop.replies.push({ address: h.ip, rttMs: h.ip === null ? null : h.rttMs });
    byTtl.set(h.ttl, hop);
  }
  return {
    tool: c.tool,
    method: c.method,
    ipVersion: c.ipVersion,
    source: { address: c.sourceIp, ...(c.agentId === null ? {} : { agentId: c.agentId }) },
    destination: {
      address: c.destinationIp,
      ...(c.destinationName === null ? {} : { name: c.destinationName }),
    },
    startedAt: new Date(c.startedAt).toISOString(),
    hops: [...byTtl.values()].sort((a, b) => a.ttl - b.ttl),
  };
}

/** The names the verdict recorded per address, given to replies that have none. */
function withRecordedNames(trace: Trace, verdict: Verdict): Trace {
  const names = new Map<string, string>();
  for (const h of verdict.hops) if (h.ip !== null && h.name) names.set(h.ip, h.name);
  if (names.size === 0) return trace;
  return {
    ...trace,
    hops: trace.hops.map((hop) => ({
      ...hop,
      replies: hop.replies.map((r) => {
        const name = r.address === null || r.name ? undefined : names.get(r.address);
        return name === undefined ? r : { ...r, name };
      }),
    })),
  };
}

export interface TraceToJudge {
  trace: Trace;
  /** Where the replies came from, for the change log. */
  from: 'raw-output' | 'stored-hops';
}

export function traceToJudge(c: RejudgeCandidate, parse: ParseTraces): TraceToJudge {
  const raw = fromRaw(c, parse);
  const trace = raw ?? fromHops(c);
  return { trace: withRecordedNames(trace, c.verdict), from: raw === null ? 'stored-hops' : 'raw-output' };
}

const foreignOf = (v: Verdict) => [...new Set(v.foreignHops.map((h) => h.country))];

/** Whether the verdict the operators see changed: its kind, confidence or foreign countries. */
export function verdictChanged(before: Verdict, after: Verdict): boolean {
  return (
    before.verdict !== after.verdict ||
    before.confidence !== after.confidence ||
    foreignOf(before).join('>') !== foreignOf(after).join('>')
  );
}

/** Whether anything stored changed (a hop's placement or reason counts, though the verdict may not). */
export function storedChanged(before: Verdict, after: Verdict): boolean {
  const { geoDatabases: _a, ...b } = before;
  const { geoDatabases: _b, ...a } = after;
  return JSON.stringify(a) !== JSON.stringify(b);
}

export function verdictChange(
  traceId: number,
  before: Verdict,
  after: Verdict,
  incidents: { left: number | null; incident: number | null },
): VerdictChangeItem {
  const side = (v: Verdict) => ({
    verdict: v.verdict,
    confidence: v.confidence,
    foreignCountries: foreignOf(v),
  });
  return {
    traceId,
    from: side(before),
    to: side(after),
    leftIncident: incidents.left,
    incident: incidents.incident,
  };
}
