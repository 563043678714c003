/**
 * Fault: the agent pointed at a web server that is not a coordinator (issue 16, item 6).
 *
 * Proves, with the real agent process (bin/detourwatch.js agent, stand-in engines on PATH) against a real
 * HTTP server on 127.0.0.1 that answers the upgrade with an HTML page (404, and 200):
 * - the agent says so in one line, "this is not a detourwatch coordinator: HTTP 404 from http://...",
 *   with none of the page in its log, and keeps running (it does not exit, a person may fix the server);
 * - it waits minutes before asking again (no second request arrives; the line says when it retries).
 * And, over a simulated day of retries against such a server (agent/backoff.ts, agent/repeat-notice.ts as
 * agent.ts uses them): every delay is at least a minute and the line is logged at most once an hour.
 * A control: a coordinator's own plain-text refusal (401) is still read and reported as a refused token.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WRONG_SERVER_LOG_INTERVAL_MS } from '../../agent/agent.ts';
import { wrongServerDelayMs } from '../../agent/backoff.ts';
import { RepeatNotice } from '../../agent/repeat-notice.ts';
import { isCoordinatorRefusal } from '../../agent/session.ts';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { waitFor } from '../agent/fake-coordinator.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';

const MARKER = 'welcome-to-nginx-page-body';
/** A real web server's page: large, and nothing an agent should copy into its log. */
const PAGE = `<!DOCTYPE html><html><head><title>${MARKER}</title></head><body>${'<p>Not here.</p>'.repeat(500)}</body></html>`;

describe('the agent against a web server that is not a coordinator', () => {
  let outbox: string;
  let agent: AgentProcess | undefined;
  let engines: StandInEngines;
  let server: http.Server | undefined;
  let upgrades = 0;

  beforeEach(async () => {
    outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-agent-'));
    engines = await createStandInEngines();
    upgrades = 0;
  });

  afterEach(async () => {
    await killAgent(agent);
    server?.closeAllConnections();
    server?.close();
    await engines?.remove();
    await fs.rm(outbox, { recursive: true, force: true });
  });

  async function htmlServer(status: string): Promise<string> {
    server = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end(PAGE));
    server.on('upgrade', (_req, socket) => {
      upgrades += 1;
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(PAGE)}\r\n\r\n${PAGE}`,
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  for (const status of ['404 Not Found', '200 OK']) {
    it(`answering ${status} with HTML: one clear line, none of the page, minutes until the next try`, async () => {
      const url = await htmlServer(status);
      agent = spawnAgent(['--server', url, '--outbox', outbox, '--location', '37.77,-122.42'], {
        DETOURWATCH_TOKEN: 'dwt_some-token',
        ...engines.env,
      });
      await waitFor(() => agent?.lines('not-a-coordinator').length === 1, 'the not-a-coordinator line');
      // Long enough for the ordinary backoff (0.5 s, 1 s, 2 s...) to have retried several times.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const log = agent.log();
      const [line] = agent.lines('not-a-coordinator');
      expect(line).toContain(
        `this is not a detourwatch coordinator: HTTP ${status.split(' ')[0]} from ${url}/api/v1/agent`,
      );
      expect(log).not.toContain(MARKER);
      expect(log).not.toContain('<');
      expect(agent.lines('not-a-coordinator')).toHaveLength(1);
      expect(agent.lines('connecting')).toHaveLength(1);
      expect(upgrades).toBe(1);
      const minutes = Number(/retryInMinutes=([\d.]+)/.exec(line ?? '')?.[1]);
      expect(minutes).toBeGreaterThanOrEqual(1);
      // Still running: a wrong --server is a problem a person fixes, not a reason to exit.
      expect(agent.child.exitCode).toBeNull();
      expect(log.length).toBeLessThan(2000);
    }, 30_000);
  }

  it('still reads a plain-text 401 as the refused token it is (the control)', async () => {
    server = http.createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n\r\nunknown or revoked token\n');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    agent = spawnAgent(['--server', url, '--outbox', outbox, '--location', '37.77,-122.42'], {
      DETOURWATCH_TOKEN: 'dwt_revoked',
      ...engines.env,
    });
    expect((await agent.exited).code).toBe(1);
    expect(agent.log()).toContain('unknown or revoked token');
    expect(agent.lines('not-a-coordinator')).toHaveLength(0);
  }, 30_000);
});

describe('a day of retries against a wrong server', () => {
  it('waits at least a minute each time and logs the line at most once an hour', () => {
    const notice = new RepeatNotice(WRONG_SERVER_LOG_INTERVAL_MS);
    const text = 'this is not a detourwatch coordinator: HTTP 404 from http://example.test/api/v1/agent';
    let now = 0;
    let attempts = 0;
    const logged: { at: number; repeated: number }[] = [];
    const day = 24 * 60 * 60_000;
    const random = (() => {
      let s = 1;
      return () => {
        s = (s * 48271) % 2147483647;
        return (s - 1) / 2147483646;
      };
    })();
    while (now < day) {
      const shown = notice.next(text, now);
      if (shown) logged.push({ at: now, repeated: shown.repeated });
      const delayMs = wrongServerDelayMs(attempts, random);
      expect(delayMs).toBeGreaterThanOrEqual(60_000);
      attempts += 1;
      now += delayMs;
    }
    expect(attempts).toBeGreaterThan(24);
    expect(logged.length).toBeLessThanOrEqual(25);
    for (let i = 1; i < logged.length; i++) {
      expect((logged[i]?.at ?? 0) - (logged[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(
        WRONG_SERVER_LOG_INTERVAL_MS,
      );
    }
    // Each later line says how many tries went unlogged since the one before.
    expect(logged.slice(1).every((l) => l.repeated > 0)).toBe(true);
    expect(logged.reduce((sum, l) => sum + 1 + l.repeated, 0)).toBeLessThanOrEqual(attempts);
    // A different answer (the operator fixed the server, something else broke) is reported at once.
    expect(notice.next('this is not a detourwatch coordinator: HTTP 200 from http://x', now + 1)).toEqual({
      repeated: 0,
    });
  });

  it('tells a coordinator refusal (plain text, 4xx/5xx) from anything else', () => {
    expect(isCoordinatorRefusal(503, 'text/plain')).toBe(true);
    expect(isCoordinatorRefusal(404, 'text/plain; charset=utf-8')).toBe(true);
    expect(isCoordinatorRefusal(404, 'text/html')).toBe(false);
    expect(isCoordinatorRefusal(200, 'text/plain')).toBe(false);
    expect(isCoordinatorRefusal(302, undefined)).toBe(false);
    expect(isCoordinatorRefusal(502, 'application/json')).toBe(false);
  });
});
