import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseV4, parseV6 } from '../../protocol/address/parse.ts';
import type { AsnInfo } from '../../protocol/annotated.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { IpVersion } from '../../protocol/trace.ts';
import { isAsn, orgName } from './asn-record.ts';
import type { AsnSource } from './sources.ts';

/**
 * IP range -> ASN tables from @ip-location-db/asn's CSV files (`start,end,asn,org`, org quoted when it holds a
 * comma: "Cloudflare, Inc."). Kept compact for a CLI: range bounds in typed arrays (one 32-bit word per IPv4
 * address, four per IPv6 address), organisation names deduplicated, lookups by binary search.
 */
export interface AsnRangeTable {
  label: string;
  ranges: number;
  organisations: number;
  /** The AS announcing `key` (address words, see addressWords), or null outside every range. */
  lookup(key: readonly number[]): AsnInfo | null;
}

/** An address as 32-bit words, most significant first: one for IPv4, four for IPv6; null if not an address. */
export function addressWords(address: string, version: IpVersion): number[] | null {
  if (version === 4) {
    const value = parseV4(address);
    return value === null ? null : [value];
  }
  const groups = parseV6(address);
  if (groups === null) return null;
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push((groups[i] ?? 0) * 65536 + (groups[i + 1] ?? 0));
  return words;
}

/**
 * The organisation field, the only one that may be quoted ("Cloudflare, Inc.", "LLC ""SPUTNIK""").
 * Returns the text, or an error message.
 */
function unquote(field: string): string | { problem: string } {
  if (field.charCodeAt(0) !== 34) {
    return field.includes(',') || field.includes('"')
      ? { problem: 'expected 4 fields (start,end,asn,org): an unquoted name holds a comma or quote' }
      : field;
  }
  if (field.length < 2 || field.charCodeAt(field.length - 1) !== 34) {
    return { problem: 'a quoted field is never closed, or has text after its closing quote' };
  }
  const inner = field.slice(1, -1);
  if (!inner.includes('"')) return inner;
  const unescaped = inner.replaceAll('""', '"');
  const lone = inner.replaceAll('""', '').includes('"');
  return lone ? { problem: 'a quote inside a quoted field is not doubled' } : unescaped;
}

/** Untrusted text quoted in a message, cut to a readable length. */
function clip(text: string): string {
  return text.length > 50 ? `${text.slice(0, 50)}...` : text;
}

function compareWords(a: Uint32Array, ai: number, b: Uint32Array, bi: number, width: number): number {
  for (let k = 0; k < width; k++) {
    const d = (a[ai + k] ?? 0) - (b[bi + k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Builds a table from CSV text. `parseBound` turns a start/end field into address words (null if invalid).
 * Rows must be sorted by start; a range may overlap the one before it (the later row wins
 * where they overlap), but may not lie inside an earlier one, which binary search could not answer.
 */
function parseAsnRanges(
  text: string,
  label: string,
  width: 1 | 4,
  parseBound: (field: string) => number[] | null,
): AsnRangeTable {
  return rangeTable(label, width, readRows(text, label, width, parseBound));
}

/**
 * A parsed table's columns. The typed arrays live in SharedArrayBuffers, so a worker thread given the Rows
 * (structured clone: the buffers are shared, only `orgs` is copied) looks up without parsing the CSV again.
 */
export interface Rows {
  starts: Uint32Array;
  ends: Uint32Array;
  asns: Uint32Array;
  /** Index into orgs, -1 for none. */
  orgIndex: Int32Array;
  orgs: string[];
  count: number;
}

/** Kept apart from rangeTable so that no lookup closure keeps the CSV text alive. */
function readRows(
  text: string,
  label: string,
  width: 1 | 4,
  parseBound: (field: string) => number[] | null,
): Rows {
  let capacity = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) capacity++;
  const shared = (words: number) => new SharedArrayBuffer(words * 4);
  const starts = new Uint32Array(shared(capacity * width));
  const ends = new Uint32Array(shared(capacity * width));
  const asns = new Uint32Array(shared(capacity));
  const orgIndex = new Int32Array(shared(capacity));
  const orgs: string[] = [];
  const orgIds = new Map<string, number>();
  const maxEnd = new Uint32Array(width);

  let count = 0;
  let line = 0;
  const fail = (problem: string) =>
    new DetourwatchError('DB_OPEN_FAILED', `ASN table ${label}, line ${line}: ${problem}`);
  // Line by line with native indexOf (only the last field may be quoted): this runs over 400,000 rows.
  for (let pos = 0; pos < text.length; ) {
    line++;
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = text.length;
    const stop = eol > pos && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
    const from = pos;
    pos = eol + 1;
    if (stop === from) continue;
    const c1 = text.indexOf(',', from);
    const c2 = c1 === -1 ? -1 : text.indexOf(',', c1 + 1);
    const c3 = c2 === -1 ? -1 : text.indexOf(',', c2 + 1);
    if (c3 === -1 || c3 >= stop) throw fail('expected 4 fields (start,end,asn,org)');
    const startText = text.slice(from, c1);
    const endText = text.slice(c1 + 1, c2);
    const asnText = text.slice(c2 + 1, c3);
    const orgText = unquote(text.slice(c3 + 1, stop));
    if (typeof orgText !== 'string') throw fail(orgText.problem);
    const start = parseBound(startText);
    const end = parseBound(endText);
    if (start === null || end === null) {
      throw fail(`"${clip(startText)}" to "${clip(endText)}" is not an address range`);
    }
    const asn = Number(asnText);
    if (!isAsn(asn)) throw fail(`"${clip(asnText)}" is not an AS number`);
    const org = orgName(orgText);
    if (org === undefined) throw fail('the organisation name is too long or holds control characters');

    const at = count * width;
    starts.set(start, at);
    ends.set(end, at);
    if (compareWords(starts, at, ends, at, width) > 0) throw fail('the range ends before it starts');
    if (count > 0) {
      if (compareWords(starts, at, starts, at - width, width) < 0) throw fail('rows are not sorted by start');
      if (compareWords(ends, at, maxEnd, 0, width) < 0) throw fail('the range lies inside an earlier one');
    }
    maxEnd.set(end);
    asns[count] = asn;
    if (org === null) orgIndex[count] = -1;
    else {
      let id = orgIds.get(org);
      if (id === undefined) {
        id = orgs.length;
        // A copy: a slice of the CSV text would keep all of the text alive.
        orgs.push(Buffer.from(org, 'utf8').toString('utf8'));
        orgIds.set(org, id);
      }
      orgIndex[count] = id;
    }
    count++;
  }

  return { starts, ends, asns, orgIndex, orgs, count };
}

function rangeTable(label: string, width: 1 | 4, rows: Rows): AsnRangeTable {
  const { starts, ends, asns, orgIndex, orgs, count } = rows;
  const key = new Uint32Array(width);
  return {
    label,
    ranges: count,
    organisations: orgs.length,
    lookup(words) {
      key.set(words);
      // The last range starting at or before the key.
      let lo = 0;
      let hi = count - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (compareWords(starts, mid * width, key, 0, width) <= 0) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (found === -1 || compareWords(key, 0, ends, found * width, width) > 0) return null;
      const org = orgIndex[found] ?? -1;
      return { asn: asns[found] ?? 0, org: org === -1 ? null : (orgs[org] ?? null), database: label };
    },
  };
}

function parseV4Bound(field: string): number[] | null {
  const n = field === '' ? Number.NaN : Number(field);
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? [n] : null;
}

const parseV6Bound = (field: string) => addressWords(field, 6);

/** asn-ipv4-num.csv: bounds as decimal integers. */
export function parseAsnRangesV4(text: string, label: string): AsnRangeTable {
  return parseAsnRanges(text, label, 1, parseV4Bound);
}

/** asn-ipv6.csv: bounds as IPv6 text. */
export function parseAsnRangesV6(text: string, label: string): AsnRangeTable {
  return parseAsnRanges(text, label, 4, parseV6Bound);
}

const EMBEDDED_FILES = { 4: 'asn-ipv4-num.csv', 6: 'asn-ipv6.csv' } as const;

/** An embedded table as parsed once in this process (or adopted from the thread that parsed it). */
export interface LoadedAsnRows {
  rows: Rows;
  width: 1 | 4;
  /** How long parsing took where it was parsed. */
  ms: number;
}

/**
 * The embedded tables parsed in this thread, by file path: the package's files do not change while a
 * process runs, so every locator (and every worker thread given them) shares one copy.
 */
const embeddedRows = new Map<string, LoadedAsnRows>();

/** The embedded tables of this thread, loading any not loaded yet, to hand to worker threads. */
export function embeddedAsnRowsToShare(): Record<string, LoadedAsnRows> {
  const source = openEmbeddedAsnRanges();
  source.preload?.();
  return Object.fromEntries(embeddedRows);
}

/** Tables another thread parsed (embeddedAsnRowsToShare), used instead of parsing the CSV here. */
export function adoptEmbeddedAsnRows(tables: Record<string, LoadedAsnRows>): void {
  for (const [path, loaded] of Object.entries(tables)) embeddedRows.set(path, loaded);
}

/**
 * The embedded default ASN source (@ip-location-db/asn). Each address family's table is read on first use:
 * the IPv4 table costs about half a second and most runs never see IPv6.
 */
export function openEmbeddedAsnRanges(): AsnSource {
  let dir: string;
  let version: string;
  try {
    const manifest = createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json');
    dir = dirname(manifest);
    version = String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version);
  } catch (err) {
    throw new DetourwatchError(
      'DB_OPEN_FAILED',
      'the embedded ASN table (@ip-location-db/asn) is not installed: run npm ci, or give --asn-db',
      { cause: err },
    );
  }
  const tables: Partial<Record<IpVersion, { table: AsnRangeTable; ms: number }>> = {};
  const load = (ipVersion: IpVersion) => {
    const loaded = tables[ipVersion];
    if (loaded) return loaded.table;
    const file = EMBEDDED_FILES[ipVersion];
    const path = join(dir, file);
    const parsed = embeddedRows.get(path);
    if (parsed) {
      const table = rangeTable(file, parsed.width, parsed.rows);
      tables[ipVersion] = { table, ms: parsed.ms };
      return table;
    }
    const began = performance.now();
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new DetourwatchError('DB_OPEN_FAILED', `cannot read the embedded ASN table "${path}"`, {
        cause: err,
      });
    }
    const width = ipVersion === 4 ? 1 : 4;
    const rows = readRows(text, file, width, ipVersion === 4 ? parseV4Bound : parseV6Bound);
    const ms = performance.now() - began;
    embeddedRows.set(path, { rows, width, ms });
    const table = rangeTable(file, width, rows);
    tables[ipVersion] = { table, ms };
    return table;
  };
  return {
    lookup(address, ipVersion) {
      const words = addressWords(address, ipVersion);
      return words === null ? null : load(ipVersion).lookup(words);
    },
    preload() {
      load(4);
      load(6);
    },
    builds: () => [{ role: 'asn', name: `@ip-location-db/asn ${version}`, builtAt: null }],
    describe: () =>
      ([4, 6] as const).map((v) => {
        const loaded = tables[v];
        const state = loaded
          ? `${loaded.table.ranges.toLocaleString('en-US')} ranges, ${loaded.table.organisations.toLocaleString('en-US')} organisations, loaded in ${Math.round(loaded.ms)} ms`
          : 'loads on first use';
        return `asn: ${EMBEDDED_FILES[v]} from @ip-location-db/asn ${version} (${state})`;
      }),
  };
}
