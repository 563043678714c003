import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalJson } from '../../server/evidence/canonical-json.ts';

describe('canonical JSON (RFC 8785)', () => {
  it.each([
    // [what, value, canonical text]
    [
      'members sorted by key, no whitespace',
      { b: 1, a: [true, false, null], c: { z: 'z', y: 'y' } },
      '{"a":[true,false,null],"b":1,"c":{"y":"y","z":"z"}}',
    ],
    ['nested arrays keep their order', [[3, 2], [1]], '[[3,2],[1]]'],
    ['empty object and array', { o: {}, a: [] }, '{"a":[],"o":{}}'],
    ['integers without a fraction', { n: 100, m: -0, k: 1.0 }, '{"k":1,"m":0,"n":100}'],
    // RFC 8785 appendix B: numbers as ECMAScript writes them.
    [
      'large numbers in exponent form',
      [1e21, 1e-7, 333333333.3333333, 9007199254740992],
      '[1e+21,1e-7,333333333.3333333,9007199254740992]',
    ],
    [
      'the shortest round-trip form',
      [0.1 + 0.2, 5e-324, 1.7976931348623157e308],
      '[0.30000000000000004,5e-324,1.7976931348623157e+308]',
    ],
    [
      'control characters as short escapes, others as lowercase \\u00xx',
      '\n\t\b\f\r\u0001"\\/',
      '"\\n\\t\\b\\f\\r\\u0001\\"\\\\/"',
    ],
    ['non-ASCII as itself', 'Zürich €  😀', '"Zürich €  😀"'],
    ['undefined members left out, as JSON.stringify does', { a: undefined, b: 2 }, '{"b":2}'],
    ['undefined array items as null, as JSON.stringify does', [undefined, 1], '[null,1]'],
  ])('%s', (_what, value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('orders keys by UTF-16 code units (the RFC 8785 section 3.2.3 example)', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const keys = Object.keys(JSON.parse(canonicalJson(value)));
    // The RFC's expected order: its values read "Carriage Return", "One", "Control", "Latin Small Letter O
    // With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh".
    expect(
      canonicalJson(value)
        .match(/":"([^"]+)"/g)
        ?.map((m) => m.slice(3, -1)),
    ).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    expect(keys).toHaveLength(7);
  });

  it('gives the same bytes for a value and for its JSON text read back, whatever the layout', () => {
    const value = { z: [1, { y: 'ü', x: null }], a: 1e21, m: { q: -1.5e-9, p: undefined } };
    const pretty = JSON.parse(JSON.stringify(value, null, 2));
    const reordered = JSON.parse('{"m":{"q":-1.5e-9},"a":1e21,"z":[1,{"x":null,"y":"\\u00fc"}]}');
    expect(canonicalJson(pretty)).toBe(canonicalJson(value));
    expect(canonicalJson(reordered)).toBe(canonicalJson(value));
  });

  it('encodes the text as UTF-8', () => {
    expect([...canonicalBytes({ k: 'é' })]).toEqual([...Buffer.from('{"k":"\u00e9"}', 'utf8')]);
    expect(canonicalBytes('€').length).toBe(5);
  });

  it.each([
    ['NaN', { n: Number.NaN }, /\.n: NaN/],
    ['Infinity', [Number.POSITIVE_INFINITY], /\[0\]: Infinity/],
    ['a bigint', { b: 1n }, /\.b: a bigint/],
    ['a function', { f: () => 1 }, /\.f: a function/],
    ['undefined alone', undefined, /undefined/],
  ])('refuses %s rather than change it', (_what, value, message) => {
    expect(() => canonicalJson(value)).toThrow(message);
  });
});
