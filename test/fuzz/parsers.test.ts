/**
 * Property: every parser, through server/parse's entry for its format and through `auto`, turns any text into
 * traces that pass the plausibility check or are marked implausible, or refuses it with a coded
 * DetourwatchError, and does so within a second on 64 KiB. Inputs: arbitrary text and JSON, real output
 * mutated by edits, and real output grown to 64 KiB.
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import { parseTraceLine, parseTraces, TRACE_FORMATS } from '../../server/parse/index.ts';
import { deeplyNestedSeed, grown, KIB_64, mutatedJsonSeed, mutatedSeed, seeds } from './inputs.ts';
import { outcomes, Tally } from './outcome.ts';

const RUNS = { small: 80, seeded: 100, large: 3, deep: 16 } as const;
const tally = new Tally();

afterAll(() => {
  console.log(`parser fuzz outcomes: ${JSON.stringify(tally.counts)}`);
  // Not vacuous: the inputs reached both refusal and acceptance (tampering.test.ts reaches the implausible mark).
  expect(tally.counts.refused).toBeGreaterThan(0);
  expect(tally.counts.plausible).toBeGreaterThan(0);
});

describe.each(TRACE_FORMATS)('parseTraces(text, %s)', (format) => {
  test.prop([fc.string({ unit: 'binary', maxLength: 400 })], { numRuns: RUNS.small })(
    'arbitrary text',
    (text) => {
      tally.add(outcomes(() => parseTraces(text, format)));
    },
  );

  test.prop([fc.json({ maxDepth: 4 })], { numRuns: RUNS.small })('arbitrary JSON', (text) => {
    tally.add(outcomes(() => parseTraces(text, format)));
  });

  test.prop([mutatedSeed()], { numRuns: RUNS.seeded })('real output with edits', ({ text }) => {
    tally.add(outcomes(() => parseTraces(text, format)));
  });

  test.prop([mutatedJsonSeed()], { numRuns: RUNS.seeded })(
    'real JSON output with its values edited',
    ({ text }) => {
      tally.add(outcomes(() => parseTraces(text, format)));
    },
  );

  // Each value of the format's own JSON in turn (text formats have none: they get every JSON seed).
  const own = format === 'scamper' || format === 'mtr' || format === 'atlas' ? format : 'auto';
  test.prop([deeplyNestedSeed(own)], { numRuns: RUNS.deep })(
    'real JSON output with one value nested 64 KiB deep, within a second',
    ({ text }) => {
      const started = performance.now();
      tally.add(outcomes(() => parseTraces(text, format)));
      expect(performance.now() - started).toBeLessThan(1000);
    },
  );

  test.prop([fc.constantFrom(...seeds()), fc.array(fc.nat(), { maxLength: 3 })], { numRuns: RUNS.large })(
    'real output grown to 64 KiB, parsed and checked within a second',
    (seed, cuts) => {
      let text = grown(seed.text, seed.format);
      // A few cuts make it broken in places a parser must notice without starting over.
      for (const at of cuts) text = text.slice(0, at % text.length) + text.slice((at % text.length) + 7);
      expect(text.length).toBeGreaterThanOrEqual(KIB_64 - 21);
      const started = performance.now();
      tally.add(outcomes(() => parseTraces(text, format)));
      expect(performance.now() - started).toBeLessThan(1000);
    },
  );
});

describe.each(['auto', 'scamper', 'atlas'] as const)('parseTraceLine(line, %s)', (format) => {
  const lines = seeds()
    .filter((s) => s.format === 'scamper' || s.format === 'atlas')
    .flatMap((s) => s.text.split('\n').filter((l) => l.trim() !== ''));

  test.prop(
    [
      fc.constantFrom(...lines),
      fc.array(fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 8 })), {
        minLength: 1,
        maxLength: 4,
      }),
    ],
    { numRuns: RUNS.seeded },
  )('a real NDJSON line with edits', (line, edits) => {
    let text = line;
    for (const [at, insert] of edits) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + insert + text.slice(i + insert.length);
    }
    tally.add(outcomes(() => parseTraceLine(text, format, { lineNumber: 7 })));
  });
});

test.prop([fc.string({ unit: 'binary', minLength: KIB_64, maxLength: KIB_64 })], { numRuns: 3 })(
  '64 KiB of arbitrary text, in every format, within a second each',
  (text) => {
    for (const format of TRACE_FORMATS) {
      const started = performance.now();
      tally.add(outcomes(() => parseTraces(text, format)));
      expect(performance.now() - started).toBeLessThan(1000);
    }
  },
);
