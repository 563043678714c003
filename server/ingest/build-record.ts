import { describeError } from '../../protocol/errors.ts';
import type { ResultMessage } from '../../protocol/messages.ts';
import { pathAsns } from '../incidents/observation.ts';
import type { ResultRecord, TraceRecord } from '../store/trace-store.ts';
import type { Analyze, IngestAgent, ParseTraces } from './dependencies.ts';

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
  const problems: string[] = [];
  const traces: TraceRecord[] = [];
  let parsed: ReturnType<ParseTraces> = [];
  try {
    parsed = fns.parseTraces(message.output, message.engine);
    if (parsed.length === 0) problems.push(`the ${message.engine} output holds no trace`);
  } catch (err) {
    problems.push(`cannot parse the ${message.engine} output: ${describeError(err)}`);
  }
  // Stored with every trace, as imports store their probe's: where the agent said it was.
  const sourcePosition =
    agent.position === null ? null : { lat: agent.position.lat, lon: agent.position.lon };
  parsed.forEach((parsedTrace, i) => {
    const trace = { ...parsedTrace, source: { ...parsedTrace.source, agentId: agent.id } };
    // mtr's JSON and traceroute's text do not say how they probed; the agent that ran them does.
    if (trace.method === 'unknown' && message.method !== undefined) trace.method = message.method;
    try {
      const { annotated, verdict } = fns.analyze(trace, agent.position);
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
