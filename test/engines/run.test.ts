import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { detectEngines } from '../../agent/engines/detect.ts';
import { runTool, type ToolRunner } from '../../agent/engines/exec.ts';
import { ENGINES } from '../../agent/engines/registry.ts';
import { runTrace } from '../../agent/engines/run.ts';
import { ENGINE_NAMES, type EngineName } from '../../agent/engines/types.ts';
import { waitFor } from '../agent/fake-coordinator.ts';
import { installedEngine, rootUsable, skipUnless } from '../helpers/skips.ts';
import { createStandInEngines, processAlive, type StandInEngines } from '../helpers/stand-in-engines.ts';

const available = await detectEngines();

const loopback = { timeoutMs: 20_000, allowSpecialTargets: true, maxHops: 5 };

/** The shape each tool's output must have, checked without the parsers (other modules own those). */
const shapeChecks: Record<EngineName, (output: string, address: string) => void> = {
  scamper(output, address) {
    const traces = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type: string; dst?: string; hops?: { addr: string }[] })
      .filter((record) => record.type === 'trace');
    expect(traces).toHaveLength(1);
    expect(traces[0]?.dst).toBe(address);
    expect(traces[0]?.hops?.map((h) => h.addr)).toContain(address);
  },
  mtr(output, address) {
    const doc = JSON.parse(output) as { report: { mtr: { dst: string }; hubs: { host: string }[] } };
    expect(doc.report.mtr.dst).toBe(address);
    expect(doc.report.hubs.map((h) => h.host)).toContain(address);
  },
  traceroute(output, address) {
    const [header, ...hops] = output.trimEnd().split('\n');
    expect(header).toMatch(new RegExp(`^traceroute to ${address.replaceAll('.', '\\.')} `));
    expect(hops.at(-1)).toMatch(new RegExp(`^ *\\d+ +${address.replaceAll('.', '\\.')} `));
  },
};

// The real tools are the point here; everything else in this file runs the stand-ins.
describe.concurrent.each(ENGINE_NAMES)('real %s on loopback', (engine) => {
  const needs = [installedEngine(engine, available), ...(engine === 'traceroute' ? [rootUsable()] : [])];
  it.each(['127.0.0.1', '::1'])('traces %s', skipUnless(`real ${engine} runs`, ...needs), async (address) => {
    const before = Date.now();
    const result = await runTrace(engine, address, loopback);
    expect(result).toMatchObject({ engine, format: ENGINES[engine].format, address });
    expect(result.output.length).toBeGreaterThan(0);
    shapeChecks[engine](result.output, address);
    expect(Date.parse(result.startedAt)).toBeGreaterThanOrEqual(before - 1);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.durationMs).toBeLessThanOrEqual(Date.now() - before);
  });
});

describe('runTrace failures', () => {
  let engines: StandInEngines;
  beforeAll(async () => {
    engines = await createStandInEngines();
  });
  afterAll(async () => {
    await engines?.remove();
  });
  beforeEach(async () => {
    await engines.control({ mode: 'trace' });
  });

  const calls: string[] = [];
  const recording: ToolRunner = (binary, args, options) => {
    calls.push(binary);
    return runTool(binary, args, options);
  };

  it('refuses a special target without starting any tool', async () => {
    await expect(
      runTrace('traceroute', '127.0.0.1', { timeoutMs: 5_000 }, { runner: recording }),
    ).rejects.toMatchObject({ code: 'TARGET_REFUSED' });
    await expect(
      runTrace('traceroute', '-V', { timeoutMs: 5_000, allowSpecialTargets: true }, { runner: recording }),
    ).rejects.toMatchObject({ code: 'TARGET_REFUSED' });
    expect(calls).toEqual([]);
  });

  it('reports a missing binary as ENGINE_MISSING', async () => {
    const missing: ToolRunner = (_binary, args, options) => runTool('dw-no-such-tracer', args, options);
    await expect(runTrace('scamper', '127.0.0.1', loopback, { runner: missing })).rejects.toMatchObject({
      code: 'ENGINE_MISSING',
    });
  });

  it('reports a failing tool with its first stderr line', async () => {
    await engines.control({ mode: 'fail' });
    const said = await runTool(path.join(engines.dir, 'traceroute'), ['-n', '--', '127.0.0.1'], {
      timeoutMs: 5_000,
      maxBuffer: 65_536,
    }).catch((err: { stderr: string }) => err.stderr.split('\n')[0] ?? '');
    expect(said).not.toBe('');
    await expect(
      runTrace('traceroute', '127.0.0.1', loopback, { runner: engines.runner }),
    ).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: expect.stringContaining(said as string),
    });
  });

  it('reports output that is not a trace as ENGINE_FAILED', async () => {
    const chatty: ToolRunner = async () => ({ stdout: 'hello\n', stderr: '' });
    await expect(runTrace('mtr', '127.0.0.1', loopback, { runner: chatty })).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: expect.stringContaining('mtr'),
    });
  });

  // A hung stand-in never ends by itself (it ignores SIGTERM): only a kill settles these promises, so a
  // settle well inside the test timeout is the kill.
  it('kills a tool that outlives its time budget', async () => {
    await engines.control({ mode: 'hang' });
    const failure = await runTrace(
      'mtr',
      '127.0.0.1',
      { ...loopback, timeoutMs: 300 },
      { runner: engines.runner },
    ).then(
      () => null,
      (err: { code?: string; message: string }) => err,
    );
    expect(failure?.code).toBe('ENGINE_FAILED');
    // The tool gets what name resolution left of the 300 ms: on a busy machine a little less.
    const ms = Number(/did not finish within (\d+) ms/.exec(failure?.message ?? '')?.[1]);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(300);
  });

  it('kills a tool when the task is cancelled', async () => {
    await engines.control({ mode: 'hang' });
    const controller = new AbortController();
    const run = runTrace(
      'mtr',
      '127.0.0.1',
      { ...loopback, signal: controller.signal },
      { runner: engines.runner },
    );
    await waitFor(() => engines.traces().length > 0, 'the tool to start');
    controller.abort();
    await expect(run).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: expect.stringContaining('cancelled'),
    });
  });

  it('kills a tool whose output exceeds the cap', async () => {
    // The flooding stand-in prints without end: the output cap, not the timeout, must stop it.
    await engines.control({ mode: 'flood' });
    await expect(
      runTrace('traceroute', '127.0.0.1', { ...loopback, timeoutMs: 20_000 }, { runner: engines.runner }),
    ).rejects.toMatchObject({ code: 'ENGINE_FAILED', message: expect.stringContaining('bytes') });
  });
  it.each([0, 256, 2.5])('refuses maxHops %s', async (maxHops) => {
    await expect(runTrace('scamper', '127.0.0.1', { ...loopback, maxHops })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

/** Live members of a process group, from /proc (the tools run on Linux). */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // After "(comm)": state, ppid, pgrp.
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(pgrp) === pgid && state !== 'Z';
      } catch {
        return false;
      }
    });
}

// Issue 19 item 4: a tool dies whole. Each stand-in here first forks a child that would hang for 60 s holding
// the tool's output pipes, as a helper process of a real tool could.
describe('a tool that forked a child dies with its child', () => {
  let engines: StandInEngines;
  beforeAll(async () => {
    engines = await createStandInEngines();
  });
  afterAll(async () => {
    await engines?.remove();
  });

  /** The tool's process group (the tool leads it) and the child it forked, once both exist. */
  async function started(before: number): Promise<{ pgid: number; child: number }> {
    await waitFor(() => engines.childPids().length > before, 'the tool to fork its child');
    const pgid = engines.traces().at(-1)?.pid as number;
    return { pgid, child: engines.childPids().at(-1) as number };
  }

  async function expectGroupGone(pgid: number, child: number): Promise<void> {
    await waitFor(
      () => !processAlive(child) && groupMembers(pgid).length === 0,
      `group ${pgid} to be empty`,
      5_000,
    );
  }

  it('at the timeout: the tool and its child are gone', async () => {
    await engines.control({ mode: 'hang', fork: true });
    const before = engines.childPids().length;
    // Time enough for the stand-in to start and fork even on a busy machine.
    const run = runTrace(
      'scamper',
      '127.0.0.1',
      { ...loopback, timeoutMs: 5_000 },
      { runner: engines.runner },
    );
    const { pgid, child } = await started(before);
    await expect(run).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: expect.stringMatching(/did not finish within \d+ ms/),
    });
    await expectGroupGone(pgid, child);
  });

  it('on abort: the tool and its child are gone', async () => {
    await engines.control({ mode: 'hang', fork: true });
    const before = engines.childPids().length;
    const controller = new AbortController();
    const run = runTrace(
      'mtr',
      '127.0.0.1',
      { ...loopback, signal: controller.signal },
      { runner: engines.runner },
    );
    const { pgid, child } = await started(before);
    // Both run in the tool's own group until the abort.
    expect(groupMembers(pgid).sort()).toEqual([pgid, child].sort());
    controller.abort();
    await expect(run).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: expect.stringContaining('cancelled'),
    });
    await expectGroupGone(pgid, child);
  });

  it('past the output cap: the tool and its child are gone', async () => {
    await engines.control({ mode: 'flood', fork: true });
    const before = engines.childPids().length;
    const run = runTrace('traceroute', '127.0.0.1', loopback, { runner: engines.runner });
    await expect(run).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: expect.stringContaining('bytes'),
    });
    const { pgid, child } = await started(before);
    await expectGroupGone(pgid, child);
  });

  it('when the tool exits by itself: its trace is used at once, and the child left behind is gone', async () => {
    await engines.control({ mode: 'trace', fork: true });
    const before = engines.childPids().length;
    const result = await runTrace('mtr', '127.0.0.1', loopback, { runner: engines.runner });
    // The child would have held the output pipe open for 60 s: the result arrived long before.
    expect(result.durationMs).toBeLessThan(30_000);
    expect(result.output).toContain('"hubs"');
    const { pgid, child } = await started(before);
    await expectGroupGone(pgid, child);
  });
});
