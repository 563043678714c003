/**
 * scamper's binary warts files (CAIDA Ark archives, `scamper -O warts`), read through scamper's own
 * `sc_warts2json`: the one I/O piece of server/parse. The parse core stays pure (parseTraces reads text); the
 * input reader (read-traces.ts) recognises warts by its magic bytes and calls this, and any caller holding the
 * bytes (an upload) can call parseWartsBytes. The tool runs with an argument array, never a shell, the file on
 * its standard input, within a time and an output bound.
 */
import { execFile } from 'node:child_process';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces } from './index.ts';
import type { ParseLimits } from './limits.ts';

/** Every warts record starts with the magic 0x1205 (big-endian), so a file does too. */
export function isWarts(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x12 && bytes[1] === 0x05;
}

/**
 * Where the file stops being whole warts: every record is a 2-byte magic, a 2-byte type and a 4-byte length,
 * then that many bytes. Null when it ends on a record boundary; else the offset of the record it cuts or breaks.
 */
export function wartsDamageAt(bytes: Uint8Array): number | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length || view.getUint16(at) !== 0x1205) return at;
    const next = at + 8 + view.getUint32(at + 4);
    if (next > bytes.length) return at;
    at = next;
  }
  return null;
}

export interface WartsOptions {
  /** The converter; default `sc_warts2json` from PATH (Debian's scamper package). */
  binary?: string;
  timeoutMs?: number;
  /** Bytes of JSON accepted; warts is compact, so its JSON is several times the file. */
  maxOutputBytes?: number;
}

export interface WartsJson {
  /** One scamper JSON record per line. */
  json: string;
  /** What the converter said on standard error: it reports damaged records there and carries on. */
  complaints: string;
}

/** Converts warts to scamper's JSON with the real tool. Takes the file's bytes; rejects with a coded error. */
export type WartsConverter = (bytes: Uint8Array, options?: WartsOptions) => Promise<WartsJson>;

const DEFAULT_TIMEOUT_MS = 60_000;

export const wartsToJson: WartsConverter = (bytes, options = {}) => {
  const binary = options.binary ?? 'sc_warts2json';
  const maxOutputBytes = options.maxOutputBytes ?? 512 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary,
      [],
      {
        encoding: 'utf8',
        maxBuffer: maxOutputBytes,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ json: stdout, complaints: stderr.trim() });
          return;
        }
        reject(
          converterError(err as NodeJS.ErrnoException & { killed?: boolean }, binary, timeoutMs, stderr),
        );
      },
    );
    // The converter may stop reading early (a damaged file): that is its answer, not an error of ours.
    child.stdin?.on('error', () => {});
    child.stdin?.end(bytes);
  });
};

function converterError(
  err: NodeJS.ErrnoException & { killed?: boolean },
  binary: string,
  timeoutMs: number,
  stderr: string,
): DetourwatchError {
  if (err.code === 'ENOENT') {
    return new DetourwatchError(
      'ENGINE_MISSING',
      `reading scamper warts files needs ${binary} from scamper, which is not installed here: install scamper (Debian, Ubuntu: apt-get install scamper), or convert the file where it is with \`sc_warts2json FILE > FILE.json\` and read the JSON`,
    );
  }
  if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return new DetourwatchError(
      'INPUT_TOO_LARGE',
      `the warts file converts to more JSON than this reader accepts; split it with scamper's sc_wartscat, or convert it with sc_warts2json and stream the JSON`,
    );
  }
  if (err.killed) {
    return new DetourwatchError('INPUT_TOO_LARGE', `${binary} did not finish within ${timeoutMs / 1000} s`);
  }
  const said = stderr.trim().split('\n', 1)[0]?.slice(0, 200);
  return new DetourwatchError(
    'PARSE_FAILED',
    `${binary} could not read the warts file${said ? `: ${said}` : ` (exit ${String(err.code)})`}`,
  );
}

/**
 * The traces in a warts file's bytes. The converter reports damaged records on standard error and goes on: a
 * file that gave traces carries that as a warning, one that gave none is refused with it.
 */
export async function parseWartsBytes(
  bytes: Uint8Array,
  limits?: Partial<ParseLimits>,
  convert: WartsConverter = wartsToJson,
): Promise<Trace[]> {
  if (!isWarts(bytes)) {
    throw new DetourwatchError(
      'PARSE_FAILED',
      'not a warts file: warts files start with the bytes 0x12 0x05',
    );
  }
  const { json, complaints } = await convert(bytes);
  const damage = wartsDamageAt(bytes);
  const said = [
    complaints.split('\n', 1)[0]?.slice(0, 200) ?? '',
    damage === null ? '' : `the file is cut off or broken in the record at byte ${damage} of ${bytes.length}`,
  ]
    .filter((t) => t !== '')
    .join('; ');
  const traces = json.trim() === '' ? [] : parseTraces(json, 'scamper', limits ? { limits } : undefined);
  if (traces.length === 0) {
    throw new DetourwatchError(
      'PARSE_FAILED',
      `the warts file holds no complete trace${said ? ` (sc_warts2json: ${said})` : ''}`,
    );
  }
  if (said !== '') {
    for (const trace of traces) {
      trace.warnings = [
        ...(trace.warnings ?? []),
        `sc_warts2json reported damage in the warts file (${said}): records after it may be missing`,
      ];
    }
  }
  for (const trace of traces) trace.meta = { ...trace.meta, input: 'warts' };
  return traces;
}
