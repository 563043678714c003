import { describe, expect, it } from 'vitest';
import { JsonValueSplitter, jsonValues } from '../../server/import/json-values.ts';

/** Feeds `text` cut at the given positions; returns the parsed values. */
function split(text: string, cuts: number[], wrapperKey?: string): unknown[] {
  const s = new JsonValueSplitter({ maxValueChars: 10_000, wrapperKey });
  const out: unknown[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    for (const v of s.push(text.slice(from, cut))) out.push(JSON.parse(v.text));
    from = cut;
  }
  s.end();
  return out;
}

/** Every way of cutting the text in two, plus one cut per character. */
function everyCutting(text: string): number[][] {
  const cuttings: number[][] = [[]];
  for (let i = 1; i < text.length; i++) cuttings.push([i]);
  cuttings.push(Array.from({ length: text.length - 1 }, (_, i) => i + 1));
  return cuttings;
}

const values = [
  { a: 1, s: 'brace } bracket ] quote \\" comma ,', n: [1, [2, { x: '{' }]] },
  { objects: 'not a wrapper here', b: null },
  { unicode: 'Zürich 北京', empty: {} },
];

describe('JsonValueSplitter', () => {
  const forms: [string, string, string | undefined][] = [
    ['a JSON array', JSON.stringify(values, null, 2), undefined],
    ['NDJSON', `${values.map((v) => JSON.stringify(v)).join('\n')}\n`, undefined],
    [
      'NDJSON with CRLF and blank lines',
      `\r\n${values.map((v) => JSON.stringify(v)).join('\r\n\r\n')}`,
      undefined,
    ],
    [
      'a wrapper object',
      JSON.stringify({ meta: { objects: [9], next: 'x' }, objects: values, after: [{ skip: true }] }),
      'objects',
    ],
    [
      'a wrapper with spaces before its list',
      `{"count": 3, "objects" :\n [ ${values.map((v) => JSON.stringify(v)).join(' , ')} ] }`,
      'objects',
    ],
    ['one value per line with a wrapper key set', values.map((v) => JSON.stringify(v)).join('\n'), 'objects'],
  ];
  for (const [name, text, key] of forms) {
    it(`cuts ${name} into its values however the chunks fall`, () => {
      for (const cuts of everyCutting(text)) expect(split(text, cuts, key)).toEqual(values);
    });
  }

  it('reports the line each value starts on', () => {
    const s = new JsonValueSplitter({ maxValueChars: 100 });
    const out = s.push('[\n{"a":1},\n\n{"b":\n2}\n]');
    expect(out.map((v) => v.line)).toEqual([2, 4]);
  });

  it('refuses a value longer than the limit, before holding it all', () => {
    const s = new JsonValueSplitter({ maxValueChars: 50 });
    s.push('[{"a":"');
    expect(() => s.push('x'.repeat(100))).toThrow(/longer than 50 characters/);
  });

  it('refuses input that ends inside a value', () => {
    const s = new JsonValueSplitter({ maxValueChars: 100 });
    s.push('[{"a": [1, 2');
    expect(() => s.end()).toThrow(/ends inside a value/);
  });

  it('refuses scalars where objects belong, naming the line', () => {
    expect(() => split('{"a":1}\n42\n', [])).toThrow(/line 2 .*expected an object/);
    expect(() => split('}', [])).toThrow(/expected an object/);
  });

  it('reads an async stream of UTF-8 bytes split inside a multi-byte character', async () => {
    const bytes = Buffer.from('[{"city":"北京"}]', 'utf8');
    async function* chunks() {
      for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
    }
    const got: unknown[] = [];
    for await (const v of jsonValues(chunks(), { maxValueChars: 100 })) got.push(JSON.parse(v.text));
    expect(got).toEqual([{ city: '北京' }]);
  });
});
