/**
 * The agent as a volunteer gets it: `npm run build:agent`'s tarball, served by the coordinator's route module
 * (server/http/routes-agent-package.ts) on 127.0.0.1, installed with npm into an empty directory, and run from
 * there against a real coordinator with a stand-in scamper first on PATH (test/helpers/stand-in-engines.ts).
 * npm takes `ws` from its cache (--prefer-offline; the registry only when the cache lacks it).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_TARBALL_PATH } from '../../protocol/agent-package.ts';
import { AGENT_VERSION } from '../../protocol/version.ts';
import { answerErrors } from '../../server/http/error-response.ts';
import { agentPackageRoutes } from '../../server/http/routes-agent-package.ts';
import { REPO_ROOT } from '../agent/agent-process.ts';
import { waitFor } from '../agent/fake-coordinator.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';
import { AGENT_LOCATION, startTestCoordinator, type TestCoordinator } from './coordinator-harness.ts';

const run = promisify(execFile);

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

/** What a module loads: static imports, re-exports, dynamic imports and require calls, as written. */
function moduleSpecifiers(code: string): string[] {
  const patterns = [
    /^\s*import\s[^'"]*?from\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /^\s*export\s[^'"]*?from\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1] as string));
}

/** The installed command as a child process; `lines(event)` are its log lines for one event. */
function startInstalled(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    log += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = (event: string) =>
    log.split('\n').filter((l) => new RegExp(`^\\S+ +\\S+ +${event}( |$)`).test(l));
  return { child, exited, lines, log: () => log };
}

async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

// Building, packing and `npm install` each take seconds on a busy two-core machine.
describe('the agent package, installed with npm and run from there', { timeout: 180_000 }, () => {
  let tmp: string;
  let tarball: string;
  let installDir: string;
  let coordinator: TestCoordinator;
  let engines: StandInEngines;
  let packageServer: Server;
  let packageUrl: string;
  const serverLog: string[] = [];

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-agent-package-'));
    // Built here, from the sources as they are, into this test's own directory (agent/dist is left alone).
    await run(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/build-agent.js'), '--out', path.join(tmp, 'build')],
      {
        cwd: REPO_ROOT,
      },
    );
    tarball = path.join(tmp, 'build', 'detourwatch-agent.tgz');
    // The coordinator's route module on a server of its own: the test serves the tarball it just built.
    const app = answerErrors(new Hono().route('/', agentPackageRoutes({ tarball, publicUrl: null })), (l) =>
      serverLog.push(l),
    );
    packageServer = createAdaptorServer({ fetch: app.fetch }) as Server;
    const port = await listenOnLoopback(packageServer);
    packageUrl = `http://127.0.0.1:${port}`;
    coordinator = await startTestCoordinator();
    engines = await createStandInEngines({ mode: 'trace' });
    installDir = path.join(tmp, 'volunteer');
    await fs.mkdir(installDir);
  }, 180_000);

  afterAll(async () => {
    packageServer?.closeAllConnections();
    await new Promise((resolve) => packageServer?.close(resolve));
    await coordinator?.close();
    await engines?.remove();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('the page gives the exact command for this coordinator; the tarball comes with its length and ETag', async () => {
    const page = await fetch(`${packageUrl}/agent/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await page.text();
    const host = packageUrl.replace('http://', '');
    expect(text).toContain(
      `npx --yes http://${host}${AGENT_TARBALL_PATH} --server ws://${host} --location LAT,LON`,
    );

    const response = await fetch(`${packageUrl}${AGENT_TARBALL_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.equals(readFileSync(tarball))).toBe(true);
    expect(Number(response.headers.get('content-length'))).toBe(statSync(tarball).size);
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const again = await fetch(`${packageUrl}${AGENT_TARBALL_PATH}`, {
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(again.status).toBe(304);
  });

  it('installs into an empty directory with npm: one JavaScript file, ws, no native module, no TypeScript', async () => {
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', `${packageUrl}${AGENT_TARBALL_PATH}`],
      { cwd: installDir, env: { ...process.env, npm_config_update_notifier: 'false' } },
    );
    const modules = path.join(installDir, 'node_modules');
    const installed = readdirSync(modules).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['detourwatch-agent', 'ws']);
    expect(filesUnder(modules).filter((f) => f.endsWith('.node'))).toEqual([]);

    const manifest = JSON.parse(readFileSync(path.join(modules, 'detourwatch-agent/package.json'), 'utf8'));
    const root = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(manifest.version).toBe(AGENT_VERSION);
    expect(manifest.dependencies).toEqual({ ws: root.dependencies.ws });
    expect(manifest.devDependencies).toBeUndefined();
    expect(filesUnder(path.join(modules, 'detourwatch-agent')).sort()).toEqual([
      'README.md',
      'dist/detourwatch-agent.js',
      'package.json',
      'systemd/detourwatch-agent.service',
    ]);

    const bundle = readFileSync(path.join(modules, 'detourwatch-agent/dist/detourwatch-agent.js'), 'utf8');
    expect(bundle.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const loads = moduleSpecifiers(bundle);
    expect(loads).toContain('ws');
    expect(loads.filter((s) => s !== 'ws' && !s.startsWith('node:'))).toEqual([]);

    const bin = path.join(modules, '.bin/detourwatch-agent');
    expect((await run(bin, ['--version'], { cwd: installDir })).stdout.trim()).toBe(AGENT_VERSION);
    expect((await run(bin, ['--help'], { cwd: installDir })).stdout).toMatch(
      /^Usage: detourwatch-agent --server URL/,
    );
    // One error boundary: a coded message naming this command's help, status 2 for a usage error.
    const refused = await run(bin, ['--server', 'ws://127.0.0.1:9', '--bogus'], {
      cwd: installDir,
      env: { ...process.env, DETOURWATCH_TOKEN: '' },
    }).catch((err: { code: number; stderr: string }) => err);
    expect('code' in refused && refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^detourwatch-agent: USAGE: /);
    expect(refused.stderr).toContain("Unknown option '--bogus'");
    expect(refused.stderr).toContain('Run `detourwatch-agent --help` for the options.');
  });

  it('the installed command joins the coordinator and its result is stored', async () => {
    const bin = path.join(installDir, 'node_modules/.bin/detourwatch-agent');
    const { token } = await coordinator.token('packaged-agent');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DETOURWATCH_TOKEN: token,
      PATH: engines.env.PATH,
    };
    // Nothing of the clone's tooling: no loader hooks (tsx), and a working directory outside the clone.
    delete env.NODE_OPTIONS;
    const agent = startInstalled(
      bin,
      [
        '--server',
        coordinator.coordinator.url.replace(/^http/, 'ws'),
        '--location',
        `${AGENT_LOCATION.lat},${AGENT_LOCATION.lon}`,
        '--allow-special-targets',
        '--outbox',
        path.join(tmp, 'outbox'),
      ],
      installDir,
      env,
    );
    try {
      await waitFor(() => agent.lines('connected').length === 1, 'the packaged agent to be welcomed', 30_000);
      const [me] = coordinator.coordinator.hub.connected();
      expect(me).toBeDefined();
      const res = await fetch(`${coordinator.coordinator.url}/api/v1/measurements`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${coordinator.operatorKey}` },
        body: JSON.stringify({ agentId: me?.agentId, target: '127.0.0.1' }),
      });
      expect(res.status).toBe(202);
      await waitFor(() => agent.lines('result-acked').length === 1, 'the result to be acknowledged', 60_000);
      expect(agent.lines('result-acked')[0]).toContain('status=stored');
      const resultId = /resultId=(\S+)/.exec(agent.lines('result-acked')[0] ?? '')?.[1];
      const { traces } = (await (await fetch(`${coordinator.coordinator.url}/api/v1/traces`)).json()) as {
        traces: { resultId: string | null; engine?: string }[];
      };
      expect(traces.map((t) => t.resultId)).toEqual([resultId]);
      expect(engines.traces().map((c) => c.tool)).toEqual(['scamper']);

      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nthe agent's log:\n${agent.log()}`, { cause: err });
    } finally {
      if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
    }
  });

  it('without a built package the tarball is a coded 404 that says how to build it', async () => {
    const app = answerErrors(
      new Hono().route('/', agentPackageRoutes({ tarball: path.join(tmp, 'none.tgz'), publicUrl: null })),
      (l) => serverLog.push(l),
    );
    const res = await app.request(AGENT_TARBALL_PATH);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error.message).toContain('npm run build:agent');
    const page = await (await app.request('/agent/', { headers: { host: '127.0.0.1:8080' } })).text();
    expect(page).toContain('npm run build:agent');
    expect(serverLog).toEqual([]);
  });
});

describe('the agent page', () => {
  const routes = (publicUrl: string | null = null) =>
    answerErrors(
      new Hono().route('/', agentPackageRoutes({ tarball: '/nonexistent/detourwatch-agent.tgz', publicUrl })),
      () => {},
    );
  const pageFor = async (headers: Record<string, string>, publicUrl: string | null = null) => {
    const res = await routes(publicUrl).request('http://127.0.0.1/agent/', { headers });
    return { res, text: await res.text() };
  };
  const commandOf = (text: string) => /<pre>([^<]*)<\/pre>/.exec(text)?.[1];

  it('builds the command from a plain Host header, quoting what a shell would glob', async () => {
    expect(commandOf((await pageFor({ host: 'probe-1.example.net:8080' })).text)).toBe(
      'export DETOURWATCH_TOKEN=dwt_...\nnpx --yes http://probe-1.example.net:8080/agent/detourwatch-agent.tgz ' +
        '--server ws://probe-1.example.net:8080 --location LAT,LON',
    );
    expect(commandOf((await pageFor({ host: '[::1]:8080' })).text)).toContain(
      'npx --yes &#39;http://[::1]:8080/agent/detourwatch-agent.tgz&#39; --server &#39;ws://[::1]:8080&#39;',
    );
  });

  it('a hostile Host header changes nothing but a placeholder; the page is never cached', async () => {
    for (const host of [
      'evil.example"><script>alert(1)</script>',
      "evil.example/'; rm -rf ~ #",
      'evil.example:99999',
      'user@evil.example',
      '[::g]:80',
    ]) {
      const { res, text } = await pageFor({ host });
      expect(res.status).toBe(200);
      expect(text).not.toContain('evil');
      expect(text).not.toContain('::g');
      expect(commandOf(text)).toContain('npx --yes http://COORDINATOR:8080/agent/detourwatch-agent.tgz');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it("the operator's public URL wins over the Host header, with its scheme and path", async () => {
    const { text } = await pageFor({ host: 'evil.example' }, 'https://detourwatch.example.org/dw/');
    expect(commandOf(text)).toContain(
      'npx --yes https://detourwatch.example.org/dw/agent/detourwatch-agent.tgz --server wss://detourwatch.example.org/dw ',
    );
    expect(text).not.toContain('evil');
    expect(() => routes('ftp://x.example')).toThrow(/CONFIG_INVALID|must be http/);
  });

  it('allows its one inline style by hash and nothing else; /agent leads to /agent/', async () => {
    const { res, text } = await pageFor({ host: '127.0.0.1:8080' });
    const style = /<style>([^<]*)<\/style>/.exec(text)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      `style-src 'sha256-${hash}'`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
    expect(text).not.toMatch(/<script|<img|<link|https?:\/\/(?!127\.0\.0\.1:8080)/);
    const moved = await routes().request('/agent');
    expect(moved.status).toBe(301);
    expect(new URL(moved.headers.get('location') ?? '', 'http://h/agent').pathname).toBe('/agent/');
  });
});
