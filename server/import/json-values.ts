import { DetourwatchError } from '../../protocol/errors.ts';

/** One JSON value cut out of a stream, still as text (the parser that knows its meaning parses it). */
export interface JsonValueText {
  text: string;
  /** Line of the stream where the value starts (1-based), for error messages. */
  line: number;
}

export interface SplitterOptions {
  /** Longest value accepted; a longer one is an error, not a memory blow-up. */
  maxValueChars: number;
  /**
   * When the stream is one object wrapping the list under this key (`{"objects": [...]}`, a RIPE Atlas probe
   * archive), the list's elements are the values and the rest of the wrapper is skipped. An object without
   * that key is a value itself.
   */
  wrapperKey?: string;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;
const NEWLINE = 10;
/** Keys longer than this are never the wrapper key: stop collecting them. */
const MAX_KEY_CHARS = 64;

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * Where the splitter is: reading top-level values (NDJSON, or objects one after another), the elements of a
 * top-level array, the elements of a wrapper's list, or the rest of a wrapper around its list.
 */
type Mode = 'top' | 'array' | 'list' | 'wrapper';

const VALUE_DEPTH: Record<Mode, number> = { top: 0, array: 1, list: 2, wrapper: -1 };

/**
 * Cuts a stream of JSON text into values (objects or arrays) without parsing them and without holding more
 * than one: each top-level value, the elements of a top-level array, or the elements of the list under
 * `wrapperKey`. Only strings, braces and brackets are tracked, in one cheap pass; each value is checked by
 * JSON.parse afterwards, and separators between values are not checked. Feed `push`, then call `end`.
 */
export class JsonValueSplitter {
  readonly #max: number;
  readonly #wrapperKey: string | undefined;
  #mode: Mode = 'top';
  #depth = 0;
  #inString = false;
  #escape = false;
  #line = 1;
  /** Pieces of the value being read; null between values. */
  #parts: string[] | null = null;
  #chars = 0;
  #valueLine = 0;
  /** Keys of a top-level object that may be a wrapper. */
  #key: {
    /** The next string at depth 1 is a key. */
    expect: boolean;
    /** The key being read (carried over chunk boundaries), from index `from` of the current chunk; null when none. */
    text: string | null;
    from: number;
    /** The key just read, until its colon. */
    last: string | null;
    /** The wrapper key and its colon were read: a `[` next opens the list. */
    listNext: boolean;
  } | null = null;

  constructor(options: SplitterOptions) {
    this.#max = options.maxValueChars;
    this.#wrapperKey = options.wrapperKey;
  }

  push(chunk: string): JsonValueText[] {
    const out: JsonValueText[] = [];
    let start = this.#parts === null ? -1 : 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) this.#line++;
      if (this.#inString) {
        this.#stringChar(c, chunk, i);
        continue;
      }
      if (this.#parts === null && this.#depth === VALUE_DEPTH[this.#mode]) {
        if (isSpace(c) || c === COMMA) continue;
        if (this.#betweenValues(c)) continue;
        this.#parts = [];
        this.#chars = 0;
        this.#valueLine = this.#line;
        start = i;
      }
      if (this.#key !== null && this.#depth === 1 && this.#keyChar(c)) {
        // The wrapper's list starts: what was kept of the wrapper is not a value.
        this.#parts = null;
        start = -1;
        this.#mode = 'list';
        this.#key = null;
        this.#depth = 2;
        continue;
      }
      if (c === QUOTE) {
        this.#inString = true;
        if (this.#key?.expect && this.#depth === 1) {
          this.#key.text = '';
          this.#key.from = i + 1;
        }
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.#depth++;
        if (this.#depth === 1 && c === OPEN_BRACE && this.#wrapperKey !== undefined && this.#mode === 'top') {
          this.#key = { expect: true, text: null, from: 0, last: null, listNext: false };
        }
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.#depth--;
        if (this.#depth === 0) this.#key = null;
        if (this.#mode === 'wrapper' && this.#depth === 0) this.#mode = 'top';
        if (this.#parts !== null && this.#depth === VALUE_DEPTH[this.#mode]) {
          this.#parts.push(chunk.slice(start, i + 1));
          out.push(this.#finish());
          start = -1;
        }
      }
    }
    if (this.#parts !== null && start >= 0) {
      const piece = chunk.slice(start);
      this.#chars += piece.length;
      if (this.#chars > this.#max) this.#tooLarge();
      this.#parts.push(piece);
    }
    const k = this.#key;
    if (this.#inString && k !== null && k.text !== null) {
      // A chunk boundary cut a key: keep its start (keys longer than MAX_KEY_CHARS are not the wrapper's).
      k.text = `${k.text}${chunk.slice(k.from)}`.slice(0, MAX_KEY_CHARS);
      k.from = 0;
    }
    return out;
  }

  /** Call when the input ended: refuses a value or list left open. */
  end(): void {
    if (this.#parts !== null || this.#depth !== 0 || this.#inString) {
      throw new DetourwatchError(
        'PARSE_FAILED',
        `the JSON input ends inside a value (the one starting on line ${this.#valueLine || this.#line})`,
      );
    }
  }

  /** A character at the value depth, outside any value: opens or closes the enclosing list, or is an error. */
  #betweenValues(c: number): boolean {
    if (this.#mode === 'top' && c === OPEN_BRACKET) {
      this.#mode = 'array';
      this.#depth = 1;
      return true;
    }
    if (this.#mode === 'array' && c === CLOSE_BRACKET) {
      this.#mode = 'top';
      this.#depth = 0;
      return true;
    }
    if (this.#mode === 'list' && c === CLOSE_BRACKET) {
      this.#mode = 'wrapper';
      this.#depth = 1;
      return true;
    }
    if (c === OPEN_BRACE || (c === OPEN_BRACKET && this.#mode !== 'top')) return false;
    throw new DetourwatchError(
      'PARSE_FAILED',
      `line ${this.#line} of the JSON input: expected an object, found "${String.fromCharCode(c)}"`,
    );
  }

  #stringChar(c: number, chunk: string, i: number): void {
    if (this.#escape) {
      this.#escape = false;
      return;
    }
    if (c === BACKSLASH) {
      this.#escape = true;
      return;
    }
    if (c !== QUOTE) return;
    this.#inString = false;
    const k = this.#key;
    if (k === null || k.text === null || this.#depth !== 1) return;
    k.last = k.text + chunk.slice(k.from, i);
    k.text = null;
  }

  /** Tracks key/value positions inside a possible wrapper; true when its list opens here. */
  #keyChar(c: number): boolean {
    const k = this.#key;
    if (k === null || isSpace(c)) return false;
    if (k.listNext) {
      k.listNext = false;
      if (c === OPEN_BRACKET) return true;
    }
    if (c === COMMA) k.expect = true;
    else if (c === COLON) {
      k.expect = false;
      k.listNext = k.last === this.#wrapperKey;
      k.last = null;
    }
    return false;
  }

  #finish(): JsonValueText {
    const text = (this.#parts ?? []).join('');
    this.#parts = null;
    if (text.length > this.#max) this.#tooLarge();
    return { text, line: this.#valueLine };
  }

  #tooLarge(): never {
    throw new DetourwatchError(
      'INPUT_TOO_LARGE',
      `the JSON value starting on line ${this.#valueLine} is longer than ${this.#max} characters`,
    );
  }
}

/** The values of a text stream: any async iterable of strings or UTF-8 bytes (a file or stdin Readable). */
export async function* jsonValues(
  input: AsyncIterable<string | Uint8Array>,
  options: SplitterOptions,
): AsyncGenerator<JsonValueText> {
  const splitter = new JsonValueSplitter(options);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of input) {
    yield* splitter.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  yield* splitter.push(decoder.decode());
  splitter.end();
}
