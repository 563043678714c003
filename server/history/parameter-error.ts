import { DetourwatchError } from '../../protocol/errors.ts';

/**
 * A query, path or body parameter that does not fit (code BAD_PARAMETER). The API answers 400 with
 * `error.parameter` naming it and a message that starts with its name: `since: "yesterday" is not a time`.
 */
export class ParameterError extends DetourwatchError {
  readonly parameter: string;
  /** What is wrong, without the name: the command line says it after the flag's name instead. */
  readonly complaint: string;

  constructor(parameter: string, complaint: string) {
    super('BAD_PARAMETER', `${parameter}: ${complaint}`);
    this.name = 'ParameterError';
    this.parameter = parameter;
    this.complaint = complaint;
  }

  /** The error an API answer describes (its `parameter` and `message`), read back by a remote client. */
  static answered(parameter: string, message: string): ParameterError {
    const named = `${parameter}: `;
    return new ParameterError(parameter, message.startsWith(named) ? message.slice(named.length) : message);
  }
}
