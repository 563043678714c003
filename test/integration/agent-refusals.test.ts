import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { FakeCoordinator, FakeStore } from '../agent/fake-coordinator.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';

// The agent detects its engines before it connects: stand-ins (test/helpers/stand-in-engines.ts) let it get that
// far on a machine without scamper, mtr or traceroute.
describe('agent refused by the coordinator', () => {
  let agent: AgentProcess | undefined;
  let coordinator: FakeCoordinator | undefined;
  let outbox: string;
  let engines: StandInEngines;

  beforeEach(async () => {
    engines = await createStandInEngines();
  });

  afterEach(async () => {
    await killAgent(agent);
    await coordinator?.kill();
    await engines?.remove();
    if (outbox) await fs.rm(outbox, { recursive: true, force: true });
  });

  async function start(options: { tokens?: string[]; protocolVersion?: number }, token: string) {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store, ...options });
    outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-agent-'));
    agent = spawnAgent(['--server', coordinator.url, '--outbox', outbox], {
      DETOURWATCH_TOKEN: token,
      ...engines.env,
    });
    return { store, exit: await agent.exited };
  }

  it('exits non-zero at once on an unknown token, telling the volunteer to get a new one', async () => {
    const { store, exit } = await start({ tokens: ['the-real-token'] }, 'a-revoked-token');
    const log = agent?.log() ?? '';
    expect(exit.code).toBe(1);
    expect(log).toContain('AUTH_FAILED');
    expect(log).toContain('unknown or revoked token'); // the coordinator's own reason, passed on
    expect(log).toMatch(/new token/);
    // No retry loop: one connection, then the process ended.
    expect(agent?.lines('connecting')).toHaveLength(1);
    expect(agent?.lines('reconnecting')).toHaveLength(0);
    expect(store.hellos.length).toBeLessThanOrEqual(1);
  });

  it('exits non-zero at once on a protocol version the coordinator does not speak, saying to upgrade', async () => {
    const { store, exit } = await start({ protocolVersion: PROTOCOL_VERSION + 1 }, 'good-token');
    const log = agent?.log() ?? '';
    expect(exit.code).toBe(1);
    expect(log).toContain('VERSION_INCOMPATIBLE');
    // The full explanation from the error message, not only the 123-byte close reason, in the final words.
    const verdict = log.split('\n').find((l) => l.startsWith('detourwatch agent: VERSION_INCOMPATIBLE'));
    expect(verdict).toContain('the operator can tell you which one that is');
    expect(log).toContain(`protocol version ${PROTOCOL_VERSION}`);
    expect(agent?.lines('reconnecting')).toHaveLength(0);
    // The hello it refused did carry the version it refused.
    expect(store.hellos.map((h) => h.protocolVersion)).toEqual([PROTOCOL_VERSION]);
  });

  it('treats an HTTP 401 on the upgrade (e.g. from a proxy) as a refused token, with the body as reason', async () => {
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (_req, socket) => {
      socket.end(
        'HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n\r\nbad token, ask the operator\n',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-agent-'));
      agent = spawnAgent(['--server', `http://127.0.0.1:${port}`, '--outbox', outbox], {
        DETOURWATCH_TOKEN: 't',
        ...engines.env,
      });
      expect((await agent.exited).code).toBe(1);
      expect(agent.log()).toContain('AUTH_FAILED');
      expect(agent.log()).toContain('HTTP 401: bad token, ask the operator');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reports every option problem at once and exits 2 without connecting', async () => {
    agent = spawnAgent(['--server', 'ftp://x', '--max-per-minute', 'lots', '--engine', 'ping'], {
      DETOURWATCH_TOKEN: '',
      ...engines.env,
    });
    const exit = await agent.exited;
    const log = agent.log();
    expect(exit.code).toBe(2);
    expect(log).toContain('4 problems');
    for (const needle of ['--server', '--max-per-minute', '--engine', 'DETOURWATCH_TOKEN'])
      expect(log).toContain(needle);
    expect(agent.lines('connecting')).toHaveLength(0);
  });
});
