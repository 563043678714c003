import type { Readable, Writable } from 'node:stream';

/** The streams a command talks to; passed in so commands can be run inside tests. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Whether stderr is a terminal (progress bars only then). */
  isTty: boolean;
}

export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    isTty: process.stderr.isTTY === true,
  };
}

/** A subcommand: parses its own arguments, returns the exit status. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}
