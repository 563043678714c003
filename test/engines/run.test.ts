import { describe, expect, it } from 'vitest';
import { detectEngines } from '../../agent/engines/detect.ts';
import { runTool, type ToolRunner } from '../../agent/engines/exec.ts';
import { ENGINES } from '../../agent/engines/registry.ts';
import { runTrace } from '../../agent/engines/run.ts';
import { ENGINE_NAMES, type EngineName } from '../../agent/engines/types.ts';

const available = await detectEngines();
const installed = new Map(ENGINE_NAMES.map((name) => [name, available.includes(name)]));
for (const [name, present] of installed) {
  if (!present)
    console.warn(`SKIPPED: real ${name} runs, because ${name} is not installed (apt-get install it)`);
}
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED: traceroute ICMP runs, because traceroute -I needs root');

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

describe.concurrent.each(ENGINE_NAMES)('real %s on loopback', (engine) => {
  const runnable = (installed.get(engine) ?? false) && (engine !== 'traceroute' || isRoot);
  it.skipIf(!runnable).each(['127.0.0.1', '::1'])('traces %s', async (address) => {
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

  it.skipIf(!installed.get('traceroute'))('reports a failing tool with its first stderr line', async () => {
    const badOption: ToolRunner = (binary, _args, options) =>
      runTool(binary, ['--dw-no-such-option'], options);
    const said = await runTool('traceroute', ['--dw-no-such-option'], {
      timeoutMs: 5_000,
      maxBuffer: 65_536,
    }).catch((err: { stderr: string }) => err.stderr.split('\n')[0] ?? '');
    expect(said).not.toBe('');
    await expect(runTrace('traceroute', '127.0.0.1', loopback, { runner: badOption })).rejects.toMatchObject({
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

  it.skipIf(!installed.get('mtr'))('kills a tool that outlives its time budget', async () => {
    const before = Date.now();
    await expect(runTrace('mtr', '127.0.0.1', { ...loopback, timeoutMs: 300 })).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: expect.stringContaining('300 ms'),
    });
    expect(Date.now() - before).toBeLessThan(2_500);
  });

  it.skipIf(!installed.get('mtr'))('kills a tool when the task is cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const before = Date.now();
    await expect(
      runTrace('mtr', '127.0.0.1', { ...loopback, signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: expect.stringContaining('cancelled'),
    });
    expect(Date.now() - before).toBeLessThan(2_500);
  });

  it('kills a tool whose output exceeds the cap', async () => {
    // `yes` prints without end: the output cap, not the timeout, must stop it.
    const flood: ToolRunner = (_binary, _args, options) => runTool('yes', [], options);
    await expect(
      runTrace('traceroute', '127.0.0.1', { ...loopback, timeoutMs: 10_000 }, { runner: flood }),
    ).rejects.toMatchObject({ code: 'ENGINE_FAILED', message: expect.stringContaining('bytes') });
  });

  it.each([0, 256, 2.5])('refuses maxHops %s', async (maxHops) => {
    await expect(runTrace('scamper', '127.0.0.1', { ...loopback, maxHops })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
