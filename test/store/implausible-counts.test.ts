/**
 * Issue 19: implausible traces are counted per agent, on both engines, from the store (so the count
 * survives restarts): what GET /api/v1/agents, `agents show` and the vantage rule read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { detourObservation, domesticObservation } from '../history/observation.ts';
import { storeEngines, type TestStore } from '../history/test-store.ts';
import { recordOf } from '../history/trace-records.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const MINUTE = 60_000;
const engines = await storeEngines('implausible traces per agent');

const implausible = (agentId: string | null, startedAt: number) =>
  recordOf(
    detourObservation({
      agentId,
      startedAt,
      verdict: 'implausible',
      confidence: null,
      foreignCountries: [],
      foreignAsns: [],
    }),
  );

for (const engine of engines) {
  describe(`${engine.name}: implausible counts`, engine.options, () => {
    let env: TestStore;
    afterEach(async () => env?.cleanup());

    it('counts each agent its implausible traces, ever and in a window, beside all its traces', async () => {
      env = await engine.open();
      const { store } = env;
      await store.writeImported([
        implausible('ag_liar', T0),
        implausible('ag_liar', T0 + MINUTE),
        implausible('ag_liar', T0 + 2 * MINUTE),
        recordOf(domesticObservation({ agentId: 'ag_liar', startedAt: T0 + 3 * MINUTE })),
        recordOf(detourObservation({ agentId: 'ag_honest', startedAt: T0 })),
        recordOf(domesticObservation({ agentId: 'ag_honest', startedAt: T0 + MINUTE })),
        // An upload has no agent: never counted against one.
        implausible(null, T0),
      ]);
      expect(await store.implausibleCounts()).toEqual(new Map([['ag_liar', 3]]));
      expect(await store.traceCounts('ag_liar', 0)).toEqual({ traces: 4, implausible: 3 });
      expect(await store.traceCounts('ag_liar', T0 + MINUTE)).toEqual({ traces: 3, implausible: 2 });
      expect(await store.traceCounts('ag_honest', 0)).toEqual({ traces: 2, implausible: 0 });
      expect(await store.traceCounts('ag_nobody', 0)).toEqual({ traces: 0, implausible: 0 });
    });
  });
}
