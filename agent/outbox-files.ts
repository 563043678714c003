import { randomBytes } from 'node:crypto';
import { DetourwatchError } from '../protocol/errors.ts';
import type { ResultMessage } from '../protocol/messages.ts';
import { MAX_MESSAGE_BYTES, parseAgentMessage } from '../protocol/messages.ts';

/**
 * How results sit on disk: one file per result, `<saved-at ms, 15 digits>-<resultId>.json`, so that sorting
 * names replays results oldest first without opening them. Each file holds exactly the `result` frame the
 * agent sends, so what is on disk is what the coordinator validates.
 */

/** Files being written carry this prefix until renamed; any left at start are from a crash mid-write. */
export const TEMP_PREFIX = '.tmp-';
export const QUARANTINE_DIR = 'quarantine';

const RESULT_NAME = /^(\d{15})-([A-Za-z0-9_-]{8,64})\.json$/;

/** 128 random bits, base64url: 22 characters, inside the protocol's resultId alphabet. */
export function newResultId(random: (n: number) => Buffer = randomBytes): string {
  return random(16).toString('base64url');
}

export function resultFileName(savedAtMs: number, resultId: string): string {
  return `${String(Math.trunc(savedAtMs)).padStart(15, '0')}-${resultId}.json`;
}

export function tempFileName(resultId: string): string {
  return `${TEMP_PREFIX}${resultId}.json`;
}

export type OutboxName =
  | { kind: 'result'; resultId: string; savedAtMs: number }
  | { kind: 'temp' }
  | { kind: 'foreign' };

export function classifyOutboxName(name: string): OutboxName {
  if (name.startsWith(TEMP_PREFIX)) return { kind: 'temp' };
  const m = RESULT_NAME.exec(name);
  if (!m) return { kind: 'foreign' };
  return { kind: 'result', resultId: m[2] as string, savedAtMs: Number(m[1]) };
}

export function encodeResult(result: ResultMessage): string {
  const text = JSON.stringify(result);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new DetourwatchError(
      'INPUT_TOO_LARGE',
      `result ${result.resultId} is ${bytes} bytes, more than the protocol's ${MAX_MESSAGE_BYTES}`,
    );
  }
  return text;
}

/** Validates a stored file with the protocol's own validator; throws a message fit for the quarantine log. */
export function decodeStoredResult(text: string, expectedResultId: string): ResultMessage {
  const msg = parseAgentMessage(text);
  if (msg.type !== 'result') throw new DetourwatchError('PROTOCOL_INVALID', `holds a "${msg.type}" message`);
  if (msg.resultId !== expectedResultId) {
    throw new DetourwatchError('PROTOCOL_INVALID', `holds result ${msg.resultId}, not ${expectedResultId}`);
  }
  return msg;
}
