/**
 * Fallback corpus when ../shared/fixtures is absent: real scamper and traceroute runs, always and only
 * against 127.0.0.1, each bounded by a timeout. Loopback paths have one hop and no public address, so the
 * figures then measure the pipeline's fixed costs, not geolocation: the report says which corpus was used.
 */
import { execFileSync } from 'node:child_process';

const LOOPBACK = '127.0.0.1';
const TIMEOUT_MS = 20_000;

function run(binary: string, args: string[]): string | null {
  try {
    return execFileSync(binary, args, {
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
}

/** Full scamper outputs (cycle-start, trace, cycle-stop), as an agent sends them. */
export function recordScamper(): string[] {
  const outputs: string[] = [];
  for (const method of ['icmp-paris', 'udp-paris']) {
    const out = run('scamper', ['-O', 'json', '-c', `trace -P ${method} -q 3 -Q -w 1 -m 30`, '-i', LOOPBACK]);
    if (out?.includes('"type":"trace"')) outputs.push(out);
  }
  return outputs;
}

/** Linux traceroute text outputs, numeric and with names. */
export function recordTraceroute(): string[] {
  const outputs: string[] = [];
  for (const args of [
    ['-n', '-q', '3', LOOPBACK],
    ['-q', '3', LOOPBACK],
  ]) {
    const out = run('traceroute', args);
    if (out?.startsWith('traceroute to')) outputs.push(out);
  }
  return outputs;
}

/** The trace record lines of the scamper outputs: NDJSON one trace per line. */
export function scamperTraceLines(outputs: readonly string[]): string[] {
  return outputs.flatMap((o) => o.split('\n').filter((line) => line.includes('"type":"trace"')));
}
