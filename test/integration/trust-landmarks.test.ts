/**
 * Issue 11, landmarks: a target whose position the operator states in the target file (`ADDRESS LAT,LON`)
 * measures like a verified agent. An agent claiming New York whose trace to a Los Angeles landmark answers in
 * 1 ms is `contradicted`, and the reason cites the landmark.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentLocationItem } from '../../protocol/history-api.ts';
import { getJson } from './coordinator-harness.ts';
import { meshOutput, startTrustCoordinator, TaskAgent, until } from './trust-harness.ts';

const NY = { lat: 40.71, lon: -74.01 };
const LANDMARK = '192.0.2.80';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('landmarks', () => {
  it('contradicts a New York claim 1 ms from a Los Angeles landmark, citing the landmark', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-landmarks-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const targetsFile = path.join(dir, 'targets.txt');
    writeFileSync(targetsFile, `# a server the operator placed\n${LANDMARK} 34.05,-118.24\n192.0.2.1\n`);
    const t = await startTrustCoordinator({ corroboration: 1, targetsFile });
    cleanups.push(() => t.close());
    const liar = await TaskAgent.connect(t, await t.agentToken('ny-1', 'nick'), '127.0.32.1', NY);
    cleanups.push(() => liar.close());

    await liar.measure(t, LANDMARK, meshOutput(LANDMARK, 1));
    const location = await until('ny-1 contradicted', async () => {
      const { body } = await getJson(`${t.coordinator.url}/api/v1/agents/${liar.agentId}/location`);
      const l = body as AgentLocationItem;
      return l.status === 'contradicted' ? l : undefined;
    });
    expect(location.reason).toMatch(
      /^claims 40\.71,-74\.01; 1 ms from landmark 192\.0\.2\.80 puts it within 100 km of 34\.05,-118\.24/,
    );
    // The test world also places the address as a first public hop (database evidence, never contradicting).
    expect(location.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'landmark',
          subject: LANDMARK,
          rttMs: 1,
          boundKm: 100,
          consistent: false,
          strength: 'physics',
        }),
      ]),
    );
  });
});
