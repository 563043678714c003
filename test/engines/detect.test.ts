import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseEngine, detectEngines } from '../../agent/engines/detect.ts';
import { runTool, type ToolRunner } from '../../agent/engines/exec.ts';
import { ENGINES } from '../../agent/engines/registry.ts';
import { ENGINE_NAMES, type EngineName } from '../../agent/engines/types.ts';

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

describe('chooseEngine', () => {
  it.each([
    [['scamper', 'mtr', 'traceroute'], 'scamper'],
    [['traceroute', 'mtr', 'scamper'], 'scamper'],
    [['mtr', 'traceroute'], 'mtr'],
    [['traceroute'], 'traceroute'],
  ] as [EngineName[], EngineName][])('auto with %j picks %s', (available, expected) => {
    expect(chooseEngine('auto', available)).toBe(expected);
  });

  it('honours an available named engine, even when a preferred one exists', () => {
    expect(chooseEngine('traceroute', ['scamper', 'traceroute'])).toBe('traceroute');
  });

  it('refuses a named engine that is missing instead of substituting another', () => {
    expect(() => chooseEngine('scamper', ['mtr'])).toThrow(
      expect.objectContaining({ code: 'ENGINE_MISSING' }),
    );
  });

  it('says what to install when nothing is available', () => {
    expect(() => chooseEngine('auto', [])).toThrow(
      expect.objectContaining({
        code: 'ENGINE_MISSING',
        message: expect.stringContaining('apt-get install'),
      }),
    );
  });
});

describe('detectEngines', () => {
  it('finds exactly the engines whose binary is on PATH', async () => {
    const expected = ENGINE_NAMES.filter((name) => onPath(ENGINES[name].binary));
    const missing = ENGINE_NAMES.filter((name) => !expected.includes(name));
    if (missing.length > 0) console.warn(`NOTE: engines not installed here: ${missing.join(', ')}`);
    expect(await detectEngines()).toEqual(expected);
  });

  it('finds nothing when no binary can be started', async () => {
    const nowhere: ToolRunner = (_binary, args, options) => runTool('dw-no-such-binary', args, options);
    expect(await detectEngines(nowhere)).toEqual([]);
  });

  it('does not count a binary that runs but is not the expected tool', async () => {
    // `true` exists everywhere, exits 0 and prints nothing: not a traceroute engine.
    const impostor: ToolRunner = (_binary, _args, options) => runTool('true', [], options);
    expect(await detectEngines(impostor)).toEqual([]);
  });
});
