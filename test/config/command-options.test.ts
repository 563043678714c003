import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

/** Runs a command in this process; every case here fails in option reading, before any store is opened. */
async function run(argv: string[]): Promise<{ status: number; err: string }> {
  let err = '';
  const stderr = new PassThrough();
  stderr.on('data', (d) => {
    err += String(d);
  });
  const io: CliIo = { stdin: new PassThrough(), stdout: new PassThrough(), stderr, isTty: false };
  const status = await main(argv, io);
  return { status, err };
}

describe('every command reads its options with the one reader', () => {
  it.each([
    [
      ['detours', '--via', 'China', '--since', 'last week', '--limit', '0'],
      [
        '--via: "China" is neither',
        '--since: "last week" is not a time',
        '--limit: "0" is not a whole number',
      ],
    ],
    [
      ['incidents', 'show', 'x', '--state', 'ongoing'],
      ['ID: "x" is not a whole number', '--state: "ongoing" is not one of open, closed'],
    ],
    [
      ['import', 'atlas', 'x.json', '--incident-quiet', '90', '--probe-location', '1=91,0'],
      ['--incident-quiet: "90" has no unit', '--probe-location must be ID=LAT,LON'],
    ],
    [
      ['token', 'revoke', 'x', '--name', 'y'],
      ['token revoke takes no --name', 'ID: "x" is not a whole number'],
    ],
    [
      ['analyze', '--source-location', '-122.42,37.77', '--home-country', 'USA', 'x.json'],
      ['--source-location: latitude -122.42 is outside', '--home-country: "USA" is not a country code'],
    ],
  ])('%j reports each bad flag in one error', async (argv, expected) => {
    const { status, err } = await run(argv);
    expect(status).toBe(2);
    expect(err).toContain(`detourwatch ${argv[0]}: USAGE: ${expected.length} problems with the options:`);
    for (const problem of expected) expect(err).toContain(`\n  - ${problem}`);
    expect(err).toContain(`Run \`detourwatch ${argv[0]} --help\` for the options.`);
  });
});
