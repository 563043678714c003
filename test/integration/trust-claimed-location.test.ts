/** A hello claiming a location that cannot be a vantage point is refused with a code and changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../protocol/messages.ts';
import {
  getJson,
  helloMessage,
  isType,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

describe('a hello claiming an impossible location', () => {
  let t: TestCoordinator;
  beforeAll(async () => {
    t = await startTestCoordinator();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['0,0', { lat: 0, lon: 0 }],
    ['the open Pacific', { lat: 35, lon: -150 }],
  ])(
    'at %s is refused with LOCATION_IMPOSSIBLE and close 4007; no agent is recorded',
    async (_where, location) => {
      const { token } = await t.token(`liar-${location.lat}`);
      const client = new TestClient(t.coordinator.agentUrl, token);
      await client.opened;
      client.send(helloMessage({ location }));
      const error = await client.waitFor(isType('error'));
      expect(error.code).toBe('LOCATION_IMPOSSIBLE');
      expect((await client.closed).code).toBe(CloseCode.locationImpossible);
      const { body } = await getJson(`${t.coordinator.url}/api/v1/agents`);
      const names = (body as { agents: { name: string }[] }).agents.map((a) => a.name);
      expect(names).not.toContain(`liar-${location.lat}`);
    },
  );

  it('an honest location next to it is welcomed', async () => {
    const { token } = await t.token('honest');
    const client = await TestClient.connect(t.coordinator.agentUrl, token, {
      location: { lat: 34.05, lon: -118.24 },
    });
    expect(client.agentId).toMatch(/\S/);
    client.close();
    expect(t.coordinator.hub.metrics().global.locationRefused).toBe(2);
  });
});
