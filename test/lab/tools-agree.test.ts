/**
 * Lab: the three real engines trace across real Linux routers in network namespaces, and once parsed they
 * must name the same responder at every TTL: the ingress address of each router, then the target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectEngines } from '../../agent/engines/detect.ts';
import { runTrace } from '../../agent/engines/run.ts';
import { ENGINE_NAMES } from '../../agent/engines/types.ts';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces } from '../../server/parse/index.ts';
import {
  buildTopology,
  canBuildLab,
  type Family,
  THREE_ROUTER_CHAIN,
  type Topology,
} from '../helpers/netns.ts';

const lab = canBuildLab();
const available = await detectEngines();
const missing = ENGINE_NAMES.filter((name) => !available.includes(name));
if (!lab.ok) console.warn(`SKIPPED: lab tools-agree, because ${lab.why}`);
if (missing.length > 0) console.warn(`SKIPPED: lab tools-agree, because ${missing.join(', ')} not installed`);

/** Responding addresses per TTL, in TTL order; timeouts left out. */
function respondersByTtl(trace: Trace): [number, string[]][] {
  return trace.hops.map((hop) => [
    hop.ttl,
    [...new Set(hop.replies.flatMap((r) => (r.address === null ? [] : [r.address])))].sort(),
  ]);
}

describe.skipIf(!lab.ok || missing.length > 0)('lab: traceroute, mtr and scamper agree hop by hop', () => {
  let topology: Topology;

  beforeAll(async () => {
    topology = await buildTopology(THREE_ROUTER_CHAIN);
  });

  afterAll(async () => {
    await topology?.destroy();
  });

  describe.concurrent.each([4, 6] as Family[])('IPv%i', (family) => {
    it('every engine sees r1, r2, r3 by their ingress addresses, then the target', async () => {
      // Expected from the topology itself: each router answers from the interface facing the agent.
      const target = topology.address('target', 'r3', family);
      const expected: [number, string[]][] = [
        [1, [topology.address('r1', 'agent', family)]],
        [2, [topology.address('r2', 'r1', family)]],
        [3, [topology.address('r3', 'r2', family)]],
        [4, [target]],
      ];
      const results = await Promise.all(
        ENGINE_NAMES.map((engine) =>
          runTrace(
            engine,
            target,
            { timeoutMs: 20_000, allowSpecialTargets: true, maxHops: 8 },
            { runner: topology.runner('agent') },
          ),
        ),
      );
      for (const result of results) {
        const traces = parseTraces(result.output, result.format);
        expect(traces, result.engine).toHaveLength(1);
        const [trace] = traces as [Trace];
        expect(trace.tool, result.engine).toBe(result.format);
        expect(trace.ipVersion, result.engine).toBe(family);
        expect(trace.destination.address, result.engine).toBe(target);
        expect(respondersByTtl(trace), result.engine).toEqual(expected);
      }
    });
  });
});
