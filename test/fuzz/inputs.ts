/**
 * What the fuzz tests feed the trust boundaries: real tool output (the project's engine captures, and the
 * third-party fixtures when ../shared/fixtures is there) mutated by fast-check, arbitrary text and JSON, and
 * inputs grown to 64 KiB. Mutations are data (positions, operations, fragments), so fast-check can shrink a
 * failure to the smallest edit that causes it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fc } from '@fast-check/vitest';
import type { TraceFormat } from '../../server/parse/index.ts';
import { sharedFixturesDir, warnSkipped } from '../helpers/fixtures.ts';

export const KIB_64 = 64 * 1024;

export interface Seed {
  name: string;
  /** The formats whose real output the seeds hold. */
  format: 'scamper' | 'mtr' | 'traceroute' | 'atlas';
  text: string;
}

const ENGINE_OUTPUT = fileURLToPath(new URL('../fixtures/engine-output/', import.meta.url));

function engineSeeds(): Seed[] {
  return readdirSync(ENGINE_OUTPUT)
    .filter((f) => /-trace-.*\.stdout$/.test(f))
    .map((f) => ({
      name: `engine-output/${f}`,
      format: f.split('-')[0] as Seed['format'],
      text: readFileSync(path.join(ENGINE_OUTPUT, f), 'utf8'),
    }));
}

const SHARED: { file: string; format: Seed['format']; lines?: number }[] = [
  { file: 'local-tool-output/scamper-json-trace-icmp-paris-127.0.0.1.json', format: 'scamper' },
  { file: 'local-tool-output/scamper-json-tracelb-127.0.0.1.json', format: 'scamper' },
  { file: 'local-tool-output/mtr-json-n-z-c2-127.0.0.1.json', format: 'mtr' },
  { file: 'local-tool-output/traceroute-127.0.0.1.txt', format: 'traceroute' },
  { file: 'local-tool-output/traceroute6-n-loopback.txt', format: 'traceroute' },
  { file: 'scamper/m-lab-traceroute-caller/parser/testdata/scamper2/valid-complex', format: 'scamper' },
  { file: 'scamper/m-lab-traceroute-caller/parser/testdata/scamper1/valid-complex', format: 'scamper' },
  { file: 'ripe-atlas/sagan_traceroute_results.ndjson', format: 'atlas', lines: 3 },
  { file: 'linux-traceroute-text/jc/osx-10.14.6/traceroute-mult-addresses.out', format: 'traceroute' },
  { file: 'linux-traceroute-text/jc/centos-7.7/tracepath.out', format: 'traceroute' },
];

let cached: Seed[] | null = null;

/** Every seed: the engine captures always, the shared fixtures when present (said loudly when not). */
export function seeds(): Seed[] {
  if (cached) return cached;
  const dir = sharedFixturesDir();
  if (!dir) warnSkipped('fuzzing from third-party fixtures (fuzzing from the engine captures only)');
  const shared = dir
    ? SHARED.map((s) => {
        const text = readFileSync(path.join(dir, s.file), 'utf8');
        const kept = s.lines === undefined ? text : `${text.split('\n').slice(0, s.lines).join('\n')}\n`;
        return { name: s.file, format: s.format, text: kept };
      })
    : [];
  cached = [...engineSeeds(), ...shared];
  return cached;
}

/** Pieces that matter to the parsers and the checks: separators, numbers at the limits, odd addresses. */
const FRAGMENTS = [
  '*',
  ' ms',
  'ms',
  '!H',
  '!<10>',
  '\n',
  '\r\n',
  ' ',
  '"',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '0',
  '-1',
  '255',
  '256',
  '65536',
  '3000000',
  '1e999',
  '1e-320',
  'NaN',
  'null',
  'true',
  '\u0000',
  '\ufffd',
  '\ud800',
  '::ffff:',
  '192.0.2.1',
  '2001:db8::1',
  '(198.51.100.7)',
  '[AS4134]',
  '<MPLS:L=1,E=0,S=1,T=1>',
  'traceroute to 198.51.100.7 (198.51.100.7), 30 hops max, 60 byte packets\n',
  ' 2  192.0.2.2  5.0 ms 192.0.2.3  5.1 ms 192.0.2.4  5.2 ms\n',
  '"probe_id":1',
  '"probe_ttl":2',
  '"rtt":',
  '"hop":255',
  '{"x":"*"}',
  '"late":1',
  '"Snt":99',
  // Keys every plain object inherits: a parser that looks a token up in a table must not find them.
  'constructor',
  'toString',
  '__proto__',
];

const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);

type TextEdit =
  | { op: 'insert' | 'replace'; at: number; text: string }
  | { op: 'delete'; at: number; length: number }
  | { op: 'duplicate-line' | 'drop-line' | 'truncate'; at: number };

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ op: fc.constantFrom('insert' as const, 'replace' as const), at: fc.nat(), text: fragment }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({
    op: fc.constantFrom('duplicate-line' as const, 'drop-line' as const, 'truncate' as const),
    at: fc.nat(),
  }),
);

function applyEdit(text: string, edit: TextEdit): string {
  const at = text.length === 0 ? 0 : edit.at % (text.length + 1);
  switch (edit.op) {
    case 'insert':
      return text.slice(0, at) + edit.text + text.slice(at);
    case 'replace':
      return text.slice(0, at) + edit.text + text.slice(at + edit.text.length);
    case 'delete':
      return text.slice(0, at) + text.slice(at + edit.length);
    case 'truncate':
      return text.slice(0, at);
    default: {
      const lines = text.split('\n');
      const i = edit.at % lines.length;
      if (edit.op === 'drop-line') lines.splice(i, 1);
      else lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    }
  }
}

/** A seed's text with up to `maxEdits` edits; the seed is drawn too. */
export function mutatedSeed(maxEdits = 6): fc.Arbitrary<{ seed: Seed; text: string }> {
  return fc
    .tuple(fc.constantFrom(...seeds()), fc.array(textEdit, { minLength: 1, maxLength: maxEdits }))
    .map(([seed, edits]) => ({ seed, text: edits.reduce(applyEdit, seed.text) }));
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Numbers at the edges of what the formats allow, and beyond. */
const EDGE_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  2.5,
  255,
  256,
  65_535,
  65_536,
  3_000_000,
  3_600_001,
  1e21,
  2 ** 53 + 2,
  -1e-9,
];

/** Strings every plain object has as keys: table lookups with them find Object.prototype's functions. */
const INHERITED_KEYS = ['constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty'];

type JsonEdit = {
  at: number;
  op: 'replace' | 'delete' | 'duplicate' | 'wrap' | 'number' | 'inherited';
  value: Json;
  n: number;
};

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom(
    'replace' as const,
    'delete' as const,
    'duplicate' as const,
    'wrap' as const,
    'number' as const,
    'inherited' as const,
  ),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  n: fc.nat({ max: EDGE_NUMBERS.length - 1 }),
});

/** Each (container, key) inside a value, depth first. */
function slots(value: Json, out: [Json[] | Record<string, Json>, string | number][] = []) {
  if (Array.isArray(value)) {
    value.forEach((child, i) => {
      out.push([value, i]);
      slots(child, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      out.push([value, key]);
      slots(child, out);
    }
  }
  return out;
}

function applyJsonEdit(root: Json, edit: JsonEdit): Json {
  const all = slots(root);
  if (all.length === 0) return edit.value;
  const [container, key] = all[edit.at % all.length] as [Record<string | number, Json>, string | number];
  const current = container[key] as Json;
  switch (edit.op) {
    case 'replace':
      container[key] = edit.value;
      break;
    case 'number':
      container[key] = EDGE_NUMBERS[edit.n] ?? 0;
      break;
    case 'inherited':
      container[key] = INHERITED_KEYS[edit.n % INHERITED_KEYS.length] ?? '';
      break;
    case 'wrap':
      container[key] = [current];
      break;
    case 'duplicate':
      if (Array.isArray(container)) container.splice(Number(key), 0, structuredClone(current));
      else container[`${key}_`] = structuredClone(current);
      break;
    case 'delete':
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete container[key];
      break;
  }
  return root;
}

/** `value` (cloned) with up to `maxEdits` edits at places fast-check picks. */
export function mutatedJson(value: Json, maxEdits = 4): fc.Arbitrary<Json> {
  return fc
    .array(jsonEdit, { minLength: 1, maxLength: maxEdits })
    .map((edits) => edits.reduce<Json>((v, e) => applyJsonEdit(v, e), structuredClone(value)));
}

/** The JSON seeds (one value per line, or one document) with edits applied to their values. */
export function mutatedJsonSeed(maxEdits = 4): fc.Arbitrary<{ seed: Seed; text: string }> {
  const json = seeds().filter((s) => s.format !== 'traceroute');
  return fc
    .tuple(fc.constantFrom(...json), fc.array(jsonEdit, { minLength: 1, maxLength: maxEdits }), fc.boolean())
    .map(([seed, edits, document]) => {
      const values =
        seed.format === 'mtr'
          ? [JSON.parse(seed.text)]
          : seed.text
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l));
      // One edit list over all of the seed's records, as one array: edits may move between them.
      const edited = edits.reduce<Json>((v, e) => applyJsonEdit(v, e), structuredClone(values) as Json);
      const list = Array.isArray(edited) ? edited : [edited];
      const text =
        document || seed.format === 'mtr'
          ? JSON.stringify(list.length === 1 ? list[0] : list)
          : list.map((v) => JSON.stringify(v)).join('\n');
      return { seed, text };
    });
}

/** The seed grown to at least 64 KiB: its largest list repeated (hops, hubs, packets, lines), then edited. */
export function grown(text: string, format: Seed['format']): string {
  if (format === 'traceroute') {
    const [head, ...hops] = text.trimEnd().split('\n');
    const body = hops.length > 0 ? hops : [' 1  192.0.2.1  0.5 ms  0.4 ms  0.6 ms'];
    const out = [head];
    for (let i = 0, size = 0; size < KIB_64; i++) {
      const line = (body[i % body.length] as string).replace(/^\s*\d+/, ` ${(i % 255) + 1}`);
      out.push(line);
      size += line.length + 1;
    }
    return `${out.join('\n')}\n`;
  }
  let largest: Json[] | null = null;
  // mtr prints one pretty document; scamper and Atlas one value per line.
  const values: Json[] =
    format === 'mtr'
      ? [JSON.parse(text)]
      : text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Json);
  const visit = (v: Json) => {
    if (Array.isArray(v)) {
      if (v.length > 0 && (largest === null || v.length >= (largest as Json[]).length)) largest = v;
      v.forEach(visit);
    } else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit);
  };
  values.forEach(visit);
  const list = largest as Json[] | null;
  if (list !== null) {
    const original = [...list];
    while (JSON.stringify(values).length < KIB_64) list.push(...structuredClone(original));
  } else {
    while (values.map((v) => JSON.stringify(v)).join('\n').length < KIB_64)
      values.push(structuredClone(values[0] ?? null));
  }
  return values.map((v) => JSON.stringify(v)).join('\n');
}

/** `[[[[...]]]]` (or objects) nested until 64 KiB: deeper than any recursive walk's stack. */
export function deeplyNested(open: string, close: string, around: (inner: string) => string): string {
  const depth = Math.floor((KIB_64 - 64) / (open.length + close.length));
  return around(open.repeat(depth) + close.repeat(depth));
}

/**
 * A JSON seed with one of its values (fast-check picks which) replaced by nesting that fills 64 KiB: every
 * field a parser reads, or names in an error, meets a value deeper than any recursive walk's stack.
 */
export function deeplyNestedSeed(format: TraceFormat = 'auto'): fc.Arbitrary<{ seed: Seed; text: string }> {
  const json = seeds().filter((s) => s.format !== 'traceroute' && (format === 'auto' || s.format === format));
  const MARK = '"__deep__"';
  return fc.tuple(fc.constantFrom(...json), fc.nat(), fc.boolean()).map(([seed, at, objects]) => {
    const values: Json[] =
      seed.format === 'mtr'
        ? [JSON.parse(seed.text)]
        : seed.text
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l));
    const all = slots(values as Json);
    const [container, key] = all[at % all.length] as [Record<string | number, Json>, string | number];
    container[key] = '__deep__';
    const deep = objects
      ? deeplyNested('{"a":', '}', (inner) => inner.replace(/\}+$/, (c) => `0${c}`))
      : deeplyNested('[', ']', (inner) => inner);
    const text = values
      .map((v) => JSON.stringify(v))
      .join('\n')
      .replace(MARK, deep);
    return { seed, text };
  });
}
