import { describeError } from '../../protocol/errors.ts';
import type { ResultMessage } from '../../protocol/messages.ts';
import type { Trace } from '../../protocol/trace.ts';
import { pathAsns } from '../incidents/observation.ts';
import type { ResultRecord, TraceRecord } from '../store/trace-store.ts';
import type { Analyze, IngestAgent, NameTrace, ParseTraces } from './dependencies.ts';

interface Parsed {
  traces: Trace[];
  problems: string[];
}

function parseResult(agent: IngestAgent, message: ResultMessage, parseTraces: ParseTraces): Parsed {
  const problems: string[] = [];
  let parsed: Trace[] = [];
  try {
    parsed = parseTraces(message.output, message.engine);
    if (parsed.length === 0) problems.push(`the ${message.engine} output holds no trace`);
  } catch (err) {
    problems.push(`cannot parse the ${message.engine} output: ${describeError(err)}`);
  }
  const traces = parsed.map((parsedTrace) => {
    const trace = { ...parsedTrace, source: { ...parsedTrace.source, agentId: agent.id } };
    // mtr's JSON and traceroute's text do not say how they probed; the agent that ran them does.
    if (trace.method === 'unknown' && message.method !== undefined) trace.method = message.method;
    return trace;
  });
  return { traces, problems };
}

function judgeResult(
  agent: IngestAgent,
  message: ResultMessage,
  receivedAt: string,
  { traces: parsed, problems }: Parsed,
  analyze: Analyze,
): ResultRecord {
  const traces: TraceRecord[] = [];
  // Stored with every trace, as imports store their probe's: where the agent said it was.
  const sourcePosition =
    agent.position === null ? null : { lat: agent.position.lat, lon: agent.position.lon };
  parsed.forEach((trace, i) => {
    try {
      // The hub has checked that the result answers its task, so message.target is the task's target.
      const { annotated, verdict } = analyze(trace, agent.position, { expectedDestination: message.target });
      traces.push({
        origin: 'agent',
        agentId: agent.id,
        trace,
        verdict,
        sourcePosition,
        pathAsns: pathAsns(annotated),
      });
    } catch (err) {
      problems.push(`trace ${i + 1}: cannot judge it: ${describeError(err)}`);
    }
  });
  return {
    resultId: message.resultId,
    agentId: agent.id,
    taskId: message.taskId,
    target: message.target,
    engine: message.engine,
    startedAt: message.startedAt,
    durationMs: message.durationMs,
    receivedAt,
    output: message.output,
    error: problems.length > 0 ? problems.join('; ') : null,
    traces,
  };
}

/**
 * Parse -> geolocate -> verdict for one result, never throwing: output that does not parse, or a trace the
 * analysis cannot judge, is still stored raw with the reason, so nothing an agent sent is lost.
 */
export function buildResultRecord(
  agent: IngestAgent,
  message: ResultMessage,
  receivedAt: string,
  fns: { parseTraces: ParseTraces; analyze: Analyze },
): ResultRecord {
  return judgeResult(agent, message, receivedAt, parseResult(agent, message, fns.parseTraces), fns.analyze);
}

/**
 * The same with reverse names added between parsing and judging (the hostname hints read them), and stored
 * with the trace. Never rejects: nameTrace gives up on a name rather than on the trace.
 */
export async function buildNamedResultRecord(
  agent: IngestAgent,
  message: ResultMessage,
  receivedAt: string,
  fns: { parseTraces: ParseTraces; analyze: Analyze; nameTrace: NameTrace },
): Promise<ResultRecord> {
  const parsed = parseResult(agent, message, fns.parseTraces);
  const named = await Promise.all(parsed.traces.map((trace) => fns.nameTrace(trace).catch(() => trace)));
  return judgeResult(agent, message, receivedAt, { ...parsed, traces: named }, fns.analyze);
}
