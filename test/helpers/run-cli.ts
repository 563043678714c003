import { PassThrough } from 'node:stream';
import { main } from '../../cli/main.ts';

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the real command line in-process (the same error boundary as the binary) with captured streams. */
export async function runCli(args: string[], stdinText = ''): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  stdin.end(stdinText);
  const status = await main(args, { stdin, stdout, stderr, isTty: false });
  return { status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
