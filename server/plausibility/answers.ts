/**
 * One probe, one answer: at most one address answers a probe (TTL, attempt), no TTL holds more probes than the
 * tool sent, and no attempt number lies beyond the attempts it made. The same address answering one probe
 * twice happens (duplicated packets) and is only counted.
 */
import type { Reply, Trace } from '../../protocol/trace.ts';
import type { Bounds } from './bounds.ts';
import { type Findings, shown } from './findings.ts';

/** Who answered: the address, else the printed name; null for a timeout. */
function responder(reply: Reply): string | null {
  if (reply.address !== null) return reply.address;
  if (reply.name !== undefined) return reply.name;
  return reply.rttMs === null ? null : 'an unnamed responder';
}

function listed(names: Iterable<string>): string {
  const all = [...names];
  const head = all.slice(0, 3).map(shown).join(', ');
  return all.length > 3 ? `${head} and ${all.length - 3} more` : head;
}

export function checkAnswers(trace: Trace, bounds: Bounds, findings: Findings): void {
  let answers = 0;
  for (const hop of trace.hops) {
    const ttl = hop.ttl;
    const byAttempt = new Map<number, Map<string, number>>();
    let unnumbered = 0;
    for (const reply of hop.replies) {
      const who = responder(reply);
      if (who !== null) answers++;
      const attempt = reply.attempt;
      if (attempt === undefined) {
        unnumbered++;
        continue;
      }
      if (!Number.isInteger(attempt) || attempt < 1 || attempt > bounds.probesPerHop) {
        findings.report(
          'attempt-beyond-attempts',
          ttl,
          `TTL ${shown(ttl)}: a reply to attempt ${shown(attempt)}, but attempts run from 1 to the ${bounds.probesPerHop} ${bounds.probesPerHopSaid}`,
        );
      }
      let answered = byAttempt.get(attempt);
      if (answered === undefined) {
        answered = new Map();
        byAttempt.set(attempt, answered);
      }
      if (who !== null) answered.set(who, (answered.get(who) ?? 0) + 1);
    }
    for (const [attempt, answered] of byAttempt) {
      if (answered.size > 1) {
        findings.report(
          'one-probe-many-answers',
          ttl,
          `TTL ${shown(ttl)}, attempt ${shown(attempt)}: ${answered.size} addresses answered one probe (${listed(answered.keys())})`,
        );
      }
      for (const n of answered.values()) {
        findings.duplicates += n - 1;
        answers -= n - 1;
      }
    }
    // mtr reports a summary: its Snt is the probes behind the hop's single reply.
    const sent = hop.stats?.sent;
    const probes = Math.max(byAttempt.size + unnumbered, typeof sent === 'number' ? sent : 0);
    if (probes > bounds.probesPerHop) {
      findings.report(
        'more-answers-than-probes',
        ttl,
        `TTL ${shown(ttl)}: ${probes} probes answered or timed out, more than the ${bounds.probesPerHop} ${bounds.probesPerHopSaid}`,
      );
    }
  }
  if (bounds.probesSent !== null && answers > bounds.probesSent) {
    findings.report(
      'more-answers-than-probes',
      null,
      `the trace holds ${answers} answers, but the tool says it sent ${bounds.probesSent} probes in all`,
    );
  }
}
