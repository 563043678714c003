/**
 * The recorded real traces every benchmark replays. From ../shared/fixtures when present (RIPE Atlas
 * results; M-Lab's scamper output and Linux/BSD traceroute text from the jc project), otherwise recorded
 * here by running scamper and traceroute against 127.0.0.1. Nothing is copied into the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineName } from '../protocol/messages.ts';
import type { ProbeMethod, Trace } from '../protocol/trace.ts';
import { parseTraceLine, parseTraces } from '../server/parse/index.ts';
import { recordScamper, recordTraceroute, scamperTraceLines } from './record-local.ts';
import { varyAddresses } from './vary-addresses.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function sharedFixturesDir(): string | null {
  const dir = path.resolve(REPO_ROOT, '../shared/fixtures');
  return existsSync(dir) ? dir : null;
}

/** What a corpus holds, for the report: where it came from and how big its traces are. */
export interface CorpusShape {
  source: string;
  items: number;
  hopsPerTrace: number;
  repliesPerTrace: number;
  addressesPerTrace: number;
}

function shapeOf(source: string, traces: readonly Trace[]): CorpusShape {
  const n = Math.max(1, traces.length);
  let hops = 0;
  let replies = 0;
  let addresses = 0;
  for (const t of traces) {
    hops += t.hops.length;
    replies += t.hops.reduce((a, h) => a + h.replies.length, 0);
    addresses += new Set(t.hops.flatMap((h) => h.replies.map((r) => r.address)).filter((a) => a !== null))
      .size;
  }
  const round = (x: number) => Math.round((x / n) * 10) / 10;
  return {
    source,
    items: traces.length,
    hopsPerTrace: round(hops),
    repliesPerTrace: round(replies),
    addressesPerTrace: round(addresses),
  };
}

/** One JSON trace per line: RIPE Atlas results, or scamper trace records when the fixtures are absent. */
export interface LineCorpus {
  format: 'atlas' | 'scamper';
  lines: string[];
  shape: CorpusShape;
}

export function loadLineCorpus(): LineCorpus {
  const shared = sharedFixturesDir();
  const dir = shared === null ? null : path.join(shared, 'ripe-atlas');
  if (dir !== null && existsSync(dir)) {
    const lines = readdirSync(dir)
      .filter((f) => f.endsWith('.ndjson'))
      .sort()
      .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n'))
      .filter((line) => line.trim() !== '');
    const traces = lines.flatMap((line) => parseTraceLine(line, 'atlas'));
    if (lines.length > 0) {
      return {
        format: 'atlas',
        lines,
        shape: shapeOf(`RIPE Atlas results (../shared/fixtures/ripe-atlas/*.ndjson)`, traces),
      };
    }
  }
  const lines = scamperTraceLines(recordScamper());
  if (lines.length === 0) {
    throw new Error('no corpus: ../shared/fixtures is absent and scamper could not trace 127.0.0.1');
  }
  console.warn(
    'NOTE: ../shared/fixtures/ripe-atlas is absent: using scamper traces of 127.0.0.1 recorded now',
  );
  const traces = lines.flatMap((line) => parseTraceLine(line, 'scamper'));
  return {
    format: 'scamper',
    lines,
    shape: shapeOf('scamper traces of 127.0.0.1 recorded by the bench', traces),
  };
}

/** A whole tool output as an agent sends it in a `result` message. */
export interface ReplayOutput {
  name: string;
  engine: EngineName;
  output: string;
  target: string;
  /** As the agent reports it when it knows (scamper's output names it; traceroute text does not). */
  method?: ProbeMethod;
}

export interface ReplayCorpus {
  outputs: ReplayOutput[];
  shape: CorpusShape;
}

/** The file minus M-Lab's metadata line: what scamper itself printed, as the agent's scamper engine sends. */
function withoutMlabMetadata(text: string): string {
  return text.startsWith('{"UUID"') ? text.slice(text.indexOf('\n') + 1) : text;
}

function candidates(shared: string): { name: string; engine: EngineName; output: string }[] {
  const found: { name: string; engine: EngineName; output: string }[] = [];
  const scamperDir = path.join(shared, 'scamper/m-lab-traceroute-caller/parser/testdata/scamper2');
  if (existsSync(scamperDir)) {
    for (const f of readdirSync(scamperDir)
      .filter((f) => f.startsWith('valid'))
      .sort()) {
      const output = withoutMlabMetadata(readFileSync(path.join(scamperDir, f), 'utf8'));
      found.push({ name: `m-lab scamper2/${f}`, engine: 'scamper', output });
    }
  }
  const jc = path.join(shared, 'linux-traceroute-text/jc');
  if (existsSync(jc)) {
    for (const d of readdirSync(jc, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      for (const f of readdirSync(path.join(jc, d.name))
        .filter((f) => /^traceroute.*\.out$/.test(f))
        .sort()) {
        found.push({
          name: `jc ${d.name}/${f}`,
          engine: 'traceroute',
          output: readFileSync(path.join(jc, d.name, f), 'utf8'),
        });
      }
    }
  }
  return found;
}

/**
 * Outputs an agent would send: each must parse, with the product's parser, to exactly one trace of at
 * least 3 hops (a path worth judging); the others are left out.
 */
export function loadReplayCorpus(): ReplayCorpus {
  const shared = sharedFixturesDir();
  let source = 'M-Lab scamper trace output and jc traceroute text (../shared/fixtures)';
  let raw = shared === null ? [] : candidates(shared);
  let minHops = 3;
  if (raw.length === 0) {
    console.warn(
      'NOTE: ../shared/fixtures is absent: replaying scamper/traceroute runs against 127.0.0.1 recorded now',
    );
    source = 'scamper and traceroute runs against 127.0.0.1 recorded by the bench';
    minHops = 1;
    raw = [
      ...recordScamper().map((output, i) => ({ name: `scamper ${i}`, engine: 'scamper' as const, output })),
      ...recordTraceroute().map((output, i) => ({
        name: `traceroute ${i}`,
        engine: 'traceroute' as const,
        output,
      })),
    ];
  }
  const outputs: ReplayOutput[] = [];
  const traces: Trace[] = [];
  for (const c of raw) {
    let parsed: Trace[];
    try {
      parsed = parseTraces(c.output, c.engine);
    } catch {
      continue;
    }
    const [trace] = parsed;
    if (parsed.length !== 1 || !trace || trace.hops.length < minHops) continue;
    outputs.push({
      ...c,
      target: trace.destination.address ?? trace.destination.name ?? '127.0.0.1',
      ...(trace.method === 'unknown' ? {} : { method: trace.method }),
    });
    traces.push(trace);
  }
  if (outputs.length === 0) throw new Error('no tool output to replay (no fixture parsed to a trace)');
  return { outputs, shape: shapeOf(source, traces) };
}

/**
 * `variants` copies of each text with shifted addresses (see varyAddresses), interleaved so consecutive
 * items differ: item i is text i % n in variant floor(i / n).
 */
export function variedTexts(texts: readonly string[], variants: number): string[] {
  const out: string[] = [];
  for (let v = 0; v < variants; v++) for (const t of texts) out.push(varyAddresses(t, v));
  return out;
}
