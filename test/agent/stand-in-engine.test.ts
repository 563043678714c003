/**
 * The stand-in engines the agent tests run instead of the real tools: they must look like the real tools to
 * the agent (detected by the same version probe, answering the same command lines with output the real
 * parsers read as a trace to the task's target), and do what they are told.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { detectEngines } from '../../agent/engines/detect.ts';
import { runTool } from '../../agent/engines/exec.ts';
import { ENGINES } from '../../agent/engines/registry.ts';
import { runTrace } from '../../agent/engines/run.ts';
import { ENGINE_NAMES } from '../../agent/engines/types.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { createStandInEngines, ENGINE_OUTPUT_DIR, type StandInEngines } from '../helpers/stand-in-engines.ts';
import { waitFor } from './fake-coordinator.ts';

interface Recording {
  tool: string;
  case: string;
  family?: number;
  address?: string;
  argv: string[];
  exit: number;
  stdout?: string;
  stderr?: string;
}

const manifest = JSON.parse(readFileSync(path.join(ENGINE_OUTPUT_DIR, 'recordings.json'), 'utf8')) as {
  recordings: Recording[];
};
const recorded = (tool: string, kind: string) =>
  manifest.recordings.filter((r) => r.tool === tool && r.case === kind);
const fixture = (file: string | undefined) =>
  file ? readFileSync(path.join(ENGINE_OUTPUT_DIR, file), 'utf8') : '';
const loopback = { timeoutMs: 10_000, allowSpecialTargets: true };
const toolOptions = { timeoutMs: 10_000, maxBuffer: 1024 * 1024 };

describe('stand-in engines', () => {
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

  it('are detected by the agent as all three engines, through the version probe alone', async () => {
    const before = engines.calls().length;
    expect(await detectEngines(engines.runner)).toEqual([...ENGINE_NAMES]);
    const probes = engines.calls().slice(before);
    expect(probes.map((c) => c.mode)).toEqual(['version', 'version', 'version']);
    expect(probes.map((c) => [c.tool, c.args]).sort()).toEqual(
      ENGINE_NAMES.map((name) => [name, [...ENGINES[name].versionArgs]]).sort(),
    );
  });

  it('answer the version probe on the stream and with the exit status the real tool used', async () => {
    for (const name of ENGINE_NAMES) {
      const [version] = recorded(name, 'version');
      const run = await runTool(
        path.join(engines.dir, name),
        [...ENGINES[name].versionArgs],
        toolOptions,
      ).then(
        (out) => ({ ...out, exit: 0 }),
        (err: { stdout: string; stderr: string; code: number }) => ({ ...err, exit: err.code }),
      );
      expect({ stdout: run.stdout, stderr: run.stderr, exit: run.exit }).toEqual({
        stdout: fixture(version?.stdout),
        stderr: fixture(version?.stderr),
        exit: version?.exit,
      });
    }
  });

  // 127.0.0.1 and ::1 are the recorded targets; 127.0.0.9 is not, so its output must be rewritten to it.
  describe.each(ENGINE_NAMES)('%s', (engine) => {
    it.each(['127.0.0.1', '::1', '127.0.0.9'])(
      'answers the command line the agent runs for %s with a trace the parser reads',
      async (target) => {
        const result = await runTrace(engine, target, loopback, { runner: engines.runner });
        const traces = parseTraces(result.output, ENGINES[engine].format);
        expect(traces).toHaveLength(1);
        expect(traces[0]?.destination.address).toBe(target);
        expect(traces[0]?.hops[0]?.replies.map((r) => r.address)).toContain(target);
        const call = engines.traces().at(-1);
        expect(call?.tool).toBe(engine);
        expect(call?.args.at(-1)).toBe(target);
      },
    );

    it('replays the real failure, which the agent reports with its first line', async () => {
      await engines.control({ mode: 'fail' });
      const [failure] = recorded(engine, 'fail');
      const firstLine = (fixture(failure?.stderr) || fixture(failure?.stdout)).split('\n')[0] as string;
      expect(firstLine).not.toBe('');
      await expect(runTrace(engine, '127.0.0.1', loopback, { runner: engines.runner })).rejects.toMatchObject(
        {
          code: 'ENGINE_FAILED',
          message: expect.stringContaining(`exit code ${failure?.exit}): ${firstLine.trim()}`),
        },
      );
    });
  });

  it('refuse command lines they have no recording for, instead of printing something plausible', async () => {
    const mtrWithoutJson = runTool(path.join(engines.dir, 'mtr'), ['-n', '--', '127.0.0.1'], toolOptions);
    await expect(mtrWithoutJson).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--json'),
    });
    const noAddress = runTool(
      path.join(engines.dir, 'scamper'),
      ['-O', 'json', '-c', 'trace -P icmp-paris', '-i'],
      toolOptions,
    );
    await expect(noAddress).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('address') });
  });

  it('hold a run until released', async () => {
    await engines.control({ mode: 'trace', hold: true });
    let settled = false;
    const run = runTrace('mtr', '127.0.0.1', loopback, { runner: engines.runner }).finally(() => {
      settled = true;
    });
    const started = engines.traces().length;
    await waitFor(() => engines.traces().length > started, 'the held run to start');
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    await engines.release();
    expect((await run).output).toContain('"hubs"');
  });
});
