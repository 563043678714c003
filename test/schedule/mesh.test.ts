import { describe, expect, it } from 'vitest';
import type { ConnectedAgent } from '../../server/hub/hub.ts';
import { meshTargets } from '../../server/schedule/scheduler.ts';

const agent = (agentId: string, address: string | null): ConnectedAgent => ({
  agentId,
  name: agentId,
  address,
  limits: { maxConcurrent: 1, maxPerMinute: 1 },
  acceptsTasks: true,
});

describe('the mesh of agents', () => {
  it('uses only global addresses: private, loopback, CGNAT and documentation ones cannot be reached', () => {
    const agents = [
      agent('a', '8.8.4.4'),
      agent('b', '10.1.2.3'),
      agent('c', '127.0.0.1'),
      agent('d', '100.64.1.1'),
      agent('e', '192.0.2.5'),
      agent('f', '2606:4700::1'),
      agent('g', null),
      agent('h', '8.8.4.4'),
    ];
    expect(meshTargets(agents)).toEqual(['8.8.4.4', '2606:4700::1']);
  });
});
