/**
 * `detourwatch analyze` on pasted text: the parser's warnings reach the user, as `warning:` lines under the
 * table and as a `warnings` field of the JSON record; every new format can be named with --format.
 */
import { describe, expect, it } from 'vitest';
import { TRACE_FORMATS } from '../../server/parse/index.ts';
import { runCli } from '../helpers/run-cli.ts';
import { pasted } from './paste-helpers.ts';

describe('analyze, pasted text', () => {
  it('prints the warnings under the table', async () => {
    const run = await runCli(['analyze', '-'], pasted('tracert/azure-docs-expressroute-timeout.txt'));
    expect(run.status).toBe(0);
    const warnings = run.stdout.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings[0]).toMatch(
      /^warning: line 1: skipped ".*tracert 10\.17\.11\.132": a prompt or command line/,
    );
    expect(warnings.some((w) => w.includes('"<1 ms"'))).toBe(true);
  });

  it('gives them as a field of the JSON record, with the summary note saying which figure was used', async () => {
    const run = await runCli(
      ['analyze', '--json', '--format', 'mtr-report', '-'],
      pasted('mtr-report/rw-n-c3.txt'),
    );
    expect(run.status).toBe(0);
    const record = JSON.parse(run.stdout);
    expect(record.meta).toMatchObject({ variant: 'report' });
    expect(record.hops.map((h: { rttMs: number }) => h.rttMs)).toEqual([0.1, 0.1, 0.1, 0.1]);
    expect(record.warnings.some((w: string) => w.includes("mtr's Best"))).toBe(true);
  });

  it('has no warnings field when nothing was skipped', async () => {
    const text =
      'traceroute to 198.51.100.7 (198.51.100.7), 30 hops max, 60 byte packets\n 1  192.0.2.1  0.5 ms\n';
    const run = await runCli(['analyze', '--json', '-'], text);
    expect(JSON.parse(run.stdout).warnings).toBeUndefined();
  });

  it('names every format in --help and accepts each with --format', async () => {
    const help = await runCli(['analyze', '--help']);
    for (const format of TRACE_FORMATS) expect(help.stdout + help.stderr).toContain(format);
    const bad = await runCli(['analyze', '--format', 'pcap', '-']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('winmtr');
  });

  it('reports a paste it cannot read as a problem naming the input, with exit status 1', async () => {
    const run = await runCli(['analyze', '-'], '<!DOCTYPE html>\n<html><body>oops</body></html>\n');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/stdin.*FORMAT_UNKNOWN: input is an HTML page/);
  });
});
