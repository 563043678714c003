/**
 * Issue 11, item 5: HTTPS and wss:// on one port (`serve --tls-cert/--tls-key`), the agent's connection
 * verifying the certificate against a test CA made here with Debian's openssl: its Session, and the real
 * `detourwatch agent` process (with stand-in engines) storing a result with `--ca`, stopping with a coded
 * error without it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.ts';
import { Session } from '../../agent/session.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';
import {
  DOMESTIC_OUTPUT,
  resultMessage,
  startTestCoordinator,
  type TestCoordinator,
} from './coordinator-harness.ts';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const OPENSSL = hasOpenssl();
if (!OPENSSL)
  console.log('SKIPPED: trust-tls because openssl is not installed (node:crypto cannot make X.509)');

/** A CA, and a certificate for 127.0.0.1 signed by it. */
function makeCa(dir: string): { ca: string; cert: string; key: string } {
  const f = (name: string) => path.join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=detourwatch test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  ]);
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('server.pem'),
  ]);
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

describe.skipIf(!OPENSSL)('a coordinator with --tls-cert and --tls-key', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-tls-'));
  let files: ReturnType<typeof makeCa>;
  let t: TestCoordinator;

  beforeAll(async () => {
    files = makeCa(dir);
    t = await startTestCoordinator({ tls: { certFile: files.cert, keyFile: files.key } });
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const log = createLogger(new PassThrough());

  function session(token: string, ca: Buffer | null, onAck: (status: string) => void = () => {}) {
    let s: Session | null = null;
    s = new Session({
      url: t.coordinator.agentUrl,
      token,
      ca,
      log,
      hello: () => ({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        agentVersion: AGENT_VERSION,
        engines: ['traceroute'],
        location: { lat: 37.77, lon: -122.42 },
        limits: { maxConcurrent: 1, maxPerMinute: 10 },
        pending: 0,
      }),
      onWelcome: () => {
        s?.send(JSON.stringify(result));
      },
      onTask: () => {},
      onAck: (a) => onAck(a.status),
    });
    return s;
  }
  const result = resultMessage(DOMESTIC_OUTPUT);

  it('serves wss:// on its one port; the agent trusting the test CA (--ca) stores a result', async () => {
    expect(t.coordinator.agentUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/api\/v1\/agent$/);
    const { token } = await t.token();
    const acks: string[] = [];
    const s = session(token, readFileSync(files.ca), (status) => acks.push(status));
    await expect.poll(() => acks, { timeout: 10_000 }).toEqual(['stored']);
    await s.close();
    const stored = await t.store.counts();
    expect(stored.results).toBe(1);
  });

  describe('the real agent process', { timeout: 60_000 }, () => {
    let agent: AgentProcess | undefined;
    let engines: StandInEngines | undefined;
    afterEach(async () => {
      await killAgent(agent);
      await engines?.remove();
    });

    const start = async (token: string, ca: string[]) => {
      engines = await createStandInEngines({ mode: 'trace' });
      const outbox = mkdtempSync(path.join(dir, 'outbox-'));
      const args = ['--server', t.coordinator.agentUrl, '--outbox', outbox, '--allow-special-targets'];
      return spawnAgent([...args, '--engine', 'mtr', ...ca], { DETOURWATCH_TOKEN: token, ...engines.env });
    };

    it('with --ca connects over wss:// and has its trace stored', async () => {
      const { token } = await t.token('tls-agent');
      const operatorKey = generateToken();
      await t.store.createToken('tls-operator', hashToken(operatorKey), new Date().toISOString(), {
        role: 'operator',
      });
      const before = (await t.store.counts()).results;
      agent = await start(token, ['--ca', files.ca]);
      const a = agent;
      await expect.poll(() => a.lines('connected').length, { timeout: 30_000 }).toBe(1);
      const me = (await t.store.listAgents()).find((x) => x.name === 'tls-agent');
      // The test's own HTTPS client trusts the test CA too (fetch cannot be given one).
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(
          `${t.coordinator.url}/api/v1/measurements`,
          {
            method: 'POST',
            ca: readFileSync(files.ca),
            headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorKey}` },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ agentId: me?.id, target: '127.0.0.1' }));
      });
      expect(status).toBe(202);
      await expect.poll(() => a.lines('result-acked').length, { timeout: 30_000 }).toBe(1);
      expect((await t.store.counts()).results).toBe(before + 1);
    });

    it('without --ca stops with TLS_UNTRUSTED after one attempt, instead of retrying', async () => {
      const { token } = await t.token();
      agent = await start(token, []);
      const a = agent;
      await expect.poll(() => a.child.exitCode, { timeout: 20_000 }).not.toBeNull();
      expect(a.child.exitCode).not.toBe(0);
      expect(a.lines('fatal')).toEqual([expect.stringMatching(/code=TLS_UNTRUSTED .*UNABLE_TO_VERIFY/)]);
      expect(agent.log()).toMatch(/--ca FILE/);
      expect(agent.lines('reconnecting')).toEqual([]);
    });
  });

  it('is refused by an agent without the CA, with a coded reason', async () => {
    const { token } = await t.token();
    const s = session(token, null);
    const end = await s.ended;
    // A refusal a person must fix, like a bad token: the agent stops instead of reconnecting.
    expect(end).toMatchObject({ kind: 'refused', code: 'TLS_UNTRUSTED' });
    expect(end.kind === 'refused' ? end.reason : '').toMatch(/not trusted.*--ca FILE/);
  });
});
