/**
 * One trace's evidence (pure): the raw output as the agent sent it, every reply read from it again by the
 * same parsers ingest used, and the physics of each hop's location claim measured from the prober.
 */
import { createHash } from 'node:crypto';
import { describeError } from '../../protocol/errors.ts';
import type { StoredHop, TraceDetail } from '../../protocol/history-api.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { HopReading } from '../../protocol/verdict.ts';
import { parseTraces } from '../parse/index.ts';
import { greatCircleKm } from '../physics/great-circle.ts';
import { maxDistanceKm } from '../physics/rtt-bound.ts';
import type { TraceEvidenceRecord } from '../store/evidence-store.ts';
import type {
  HopEvidence,
  HopPhysics,
  Position,
  RawEvidence,
  RepliesSource,
  TraceEvidence,
} from './bundle-document.ts';

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const round = (n: number, places: number): number => {
  const f = 10 ** places;
  return Math.round(n * f) / f;
};

function rawEvidence(detail: TraceDetail, stored: TraceEvidenceRecord): RawEvidence {
  const r = stored.result;
  if (r === null) {
    return {
      kind: 'not-kept',
      why:
        detail.origin === 'import'
          ? 'an imported trace keeps no raw record; its replies are the stored hops'
          : 'the trace has no stored result',
    };
  }
  if (r.output === '') {
    return { kind: 'not-kept', why: 'retention deleted the raw output (--retain-hops-days)' };
  }
  return {
    kind: 'agent-output',
    engine: r.engine,
    resultId: r.resultId,
    taskId: r.taskId,
    target: r.target,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    receivedAt: r.receivedAt,
    ingestError: r.error,
    sha256: sha256Hex(r.output),
    output: r.output,
  };
}

/**
 * Which of the output's traces this one is: the same destination and source address and, where the tool
 * printed one, the same start time (a result usually holds one trace; scamper's JSON can hold several).
 */
function matchingTrace(parsed: readonly Trace[], detail: TraceDetail): Trace | null {
  const started = Date.parse(detail.startedAt);
  const same = (t: Trace) =>
    t.destination.address === detail.destinationIp &&
    t.source.address === detail.sourceIp &&
    (t.startedAt === null || Date.parse(t.startedAt) === started);
  return parsed.find(same) ?? null;
}

/** TTLs at which the store's lowest RTT per address differs from the one read again from the output. */
function disagreements(trace: Trace, stored: readonly StoredHop[]): number[] {
  const ttls = new Set<number>();
  for (const h of stored) {
    if (h.ip === null) continue;
    const rtts = (trace.hops.find((hop) => hop.ttl === h.ttl)?.replies ?? [])
      .filter((r) => r.address === h.ip && r.rttMs !== null)
      .map((r) => r.rttMs as number);
    const least = rtts.length === 0 ? null : Math.min(...rtts);
    if (least === null ? h.rttMs !== null : h.rttMs === null || Math.abs(least - h.rttMs) > 1e-9) {
      ttls.add(h.ttl);
    }
  }
  return [...ttls].sort((a, b) => a - b);
}

function reparsed(raw: RawEvidence, detail: TraceDetail): { trace: Trace | null; source: RepliesSource } {
  if (raw.kind !== 'agent-output') return { trace: null, source: { from: 'stored-hops', note: raw.why } };
  let parsed: Trace[];
  try {
    parsed = parseTraces(raw.output, raw.engine);
  } catch (err) {
    return {
      trace: null,
      source: { from: 'stored-hops', note: `the raw output does not parse now: ${describeError(err)}` },
    };
  }
  const trace = matchingTrace(parsed, detail);
  if (trace === null) {
    return {
      trace: null,
      source: { from: 'stored-hops', note: 'none of the traces in the raw output is this one' },
    };
  }
  const differ = detail.hopsPurged ? [] : disagreements(trace, detail.hops);
  const note =
    differ.length === 0
      ? null
      : `the stored hops differ from the raw output at TTL ${differ.join(', ')}; the raw output is what the agent sent`;
  return { trace, source: { from: 'raw-output', note } };
}

/** The place a reading claims: the accepted placement, or for `refuted` the claim physics threw out. */
function claimOf(reading: HopReading): HopPhysics['claim'] | null {
  if (reading.lat === null || reading.lon === null) return null;
  return { lat: reading.lat, lon: reading.lon, country: reading.country, city: reading.city };
}

export function hopPhysics(reading: HopReading, prober: Position | null, kmPerMs: number): HopPhysics | null {
  const claim = claimOf(reading);
  if (claim === null || prober === null || reading.rttMs === null) return null;
  const needed = reading.minRttMs;
  return {
    claim,
    distanceKm: round(greatCircleKm(prober, claim), 1),
    rttMs: reading.rttMs,
    boundKm: round(maxDistanceKm(reading.rttMs, kmPerMs), 1),
    neededRttMs: needed === null ? null : round(needed, 3),
    ownRttAllows: needed === null ? null : reading.rttMs >= needed,
  };
}

export interface TraceInputs {
  detail: TraceDetail;
  stored: TraceEvidenceRecord;
  kmPerMs: number;
}

export function traceEvidence({ detail, stored, kmPerMs }: TraceInputs): TraceEvidence {
  const raw = rawEvidence(detail, stored);
  const { trace, source } = reparsed(raw, detail);
  const prober = stored.sourcePosition;
  const readings = new Map(detail.verdictDetail.hops.map((h) => [h.ttl, h]));
  const ttls = new Set<number>([
    ...readings.keys(),
    ...detail.hops.map((h) => h.ttl),
    ...(trace?.hops.map((h) => h.ttl) ?? []),
  ]);
  const hops: HopEvidence[] = [...ttls]
    .sort((a, b) => a - b)
    .map((ttl) => {
      const reading = readings.get(ttl);
      return {
        ttl,
        replies: trace ? (trace.hops.find((h) => h.ttl === ttl)?.replies ?? []) : null,
        physics: reading ? hopPhysics(reading, prober, kmPerMs) : null,
      };
    });
  return {
    id: detail.id,
    origin: detail.origin,
    agentId: detail.agentId,
    incidentId: detail.incidentId,
    startedAt: detail.startedAt,
    tool: detail.tool,
    method: detail.method,
    ipVersion: detail.ipVersion,
    source: { ip: detail.sourceIp, position: prober },
    destination: { ip: detail.destinationIp, name: detail.destinationName },
    raw,
    replies: source,
    hops,
    storedHops: detail.hops,
    hopsPurged: detail.hopsPurged,
    verdict: detail.verdictDetail,
  };
}
