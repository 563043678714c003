import { DetourwatchError } from '../../protocol/errors.ts';

/** A query or path parameter that does not fit; the API answers 400 naming `parameter`. */
export class ParameterError extends DetourwatchError {
  readonly parameter: string;

  constructor(parameter: string, message: string) {
    super('BAD_PARAMETER', `${parameter}: ${message}`);
    this.name = 'ParameterError';
    this.parameter = parameter;
  }
}
