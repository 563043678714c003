import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Reader } from 'maxmind';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import type { IpVersion } from '../../protocol/trace.ts';
import type { GeoDatabaseBuild } from '../../protocol/verdict.ts';
import type { DatabaseDigest } from './sources.ts';

/**
 * One MaxMind DB file, opened defensively. mmdb files are untrusted input: some corrupt files fail when
 * opened, some only when an address is looked up, some return garbage (see bad-data in the MaxMind-DB
 * fixtures). Every failure here becomes a DetourwatchError naming the file; records are returned raw, for
 * the caller to validate.
 */
export interface MmdbFile {
  path: string;
  /** The file name, cited as the evidence's database. */
  label: string;
  databaseType: string;
  /** 4: only IPv4 in the tree; 6: IPv6, with IPv4 under ::/96. */
  ipVersion: IpVersion;
  /** Null when the metadata's build_epoch is not a usable date. */
  builtAt: Date | null;
  nodeCount: number;
  /** SHA-256 (hex) of the bytes read, for evidence bundles (server/evidence): computed once, at open. */
  sha256: string;
  /** The raw record, or null when the file has nothing for the address (or cannot hold its version). */
  lookup(address: string, version: IpVersion): unknown;
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const SEPARATOR_BYTES = 16;
/** Decoded-record cache size: records are shared by many networks, so a small cache saves most decoding. */
const DECODE_CACHE_ENTRIES = 10_000;

/** A bounded cache in mmdb-lib's Cache shape; dropping everything when full is enough for this use. */
function boundedCache(max: number) {
  const map = new Map<string | number, unknown>();
  return {
    get: (key: string | number) => map.get(key),
    set: (key: string | number, value: unknown) => {
      if (map.size >= max) map.clear();
      map.set(key, value);
    },
  };
}

function readError(path: string, what: string, err: unknown): DetourwatchError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'ERR_FS_FILE_TOO_LARGE'
            ? 'the file is too large to load'
            : describeError(err);
  return new DetourwatchError('DB_OPEN_FAILED', `cannot read ${what} "${path}": ${reason}`, { cause: err });
}

/** A file's bytes in a SharedArrayBuffer and their SHA-256: what a worker thread opens instead of the file. */
export interface SharedMmdbBytes {
  bytes: Uint8Array;
  sha256: string;
}

/**
 * Files this thread was handed by the thread that read them (adoptMmdbBytes), by path. Only worker threads
 * adopt: a coordinator swapping a new file in at the same path reads it from disk.
 */
const adopted = new Map<string, SharedMmdbBytes>();

/**
 * What this thread opened last at each path, while an open file still uses it (a weak reference: a file swapped
 * out is not kept alive), so that sharing it with workers neither reads nor hashes it again.
 */
const opened = new Map<string, { buffer: WeakRef<SharedArrayBuffer>; sha256: string; stamp: string }>();

function stampOf(size: number, mtimeMs: number): string {
  return `${size}:${mtimeMs}`;
}

/** The file's bytes, read into shared memory, and their SHA-256. Throws the fs error. */
function readShared(path: string): SharedMmdbBytes & { stamp: string } {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    const bytes = new Uint8Array(new SharedArrayBuffer(stat.size));
    for (let at = 0; at < stat.size; ) {
      const n = readSync(fd, bytes, at, stat.size - at, at);
      if (n === 0) throw new Error(`"${path}" became shorter while it was read`);
      at += n;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return { bytes, sha256, stamp: stampOf(stat.size, stat.mtimeMs) };
  } finally {
    closeSync(fd);
  }
}

/** `path`'s bytes in shared memory for worker threads (openMmdb there then neither reads nor hashes it). */
export function shareMmdbBytes(path: string): SharedMmdbBytes {
  const seen = opened.get(path);
  const buffer = seen?.buffer.deref();
  if (seen && buffer) {
    const stat = statSync(path);
    if (stampOf(stat.size, stat.mtimeMs) === seen.stamp) {
      return { bytes: new Uint8Array(buffer), sha256: seen.sha256 };
    }
  }
  const { bytes, sha256 } = readShared(path);
  return { bytes, sha256 };
}

export function adoptMmdbBytes(files: Record<string, SharedMmdbBytes>): void {
  for (const [path, file] of Object.entries(files)) adopted.set(path, file);
}

/**
 * Opens an mmdb file. `what` names its role in messages ("City database"). Throws DB_OPEN_FAILED when the
 * file is unreadable, compressed, not an mmdb, or its metadata contradicts its size.
 */
export function openMmdb(path: string, what: string): MmdbFile {
  let given = adopted.get(path);
  if (given === undefined) {
    let read: ReturnType<typeof readShared>;
    try {
      read = readShared(path);
    } catch (err) {
      throw readError(path, what, err);
    }
    opened.set(path, {
      buffer: new WeakRef(read.bytes.buffer as SharedArrayBuffer),
      sha256: read.sha256,
      stamp: read.stamp,
    });
    given = read;
  }
  const bytes = Buffer.from(given.bytes.buffer, given.bytes.byteOffset, given.bytes.byteLength);
  const fail = (problem: string, cause?: unknown) =>
    new DetourwatchError('DB_OPEN_FAILED', `${what} "${path}" ${problem}`, { cause });
  if (bytes.length === 0) throw fail('is empty');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw fail(
      'is gzip-compressed: extract the .mmdb file from it first (gunzip, or tar -xzf for a .tar.gz)',
    );
  }
  const metadataStart = bytes.lastIndexOf(METADATA_MARKER);
  if (metadataStart === -1) throw fail('is not a MaxMind DB (.mmdb) file: it has no metadata marker');

  let reader: Reader<Record<string, unknown>>;
  try {
    reader = new Reader(bytes, { cache: boundedCache(DECODE_CACHE_ENTRIES) });
  } catch (err) {
    throw fail(`is corrupt: its metadata cannot be decoded (${describeError(err)})`, err);
  }
  const m = reader.metadata;
  if (m.binaryFormatMajorVersion !== 2) {
    throw fail(
      `has binary format version ${String(m.binaryFormatMajorVersion)}; only version 2 is supported`,
    );
  }
  if (m.ipVersion !== 4 && m.ipVersion !== 6) throw fail(`is corrupt: ip_version is ${String(m.ipVersion)}`);
  if (typeof m.databaseType !== 'string' || m.databaseType === '') {
    throw fail('is corrupt: its metadata has no database_type');
  }
  if (!Number.isSafeInteger(m.nodeCount) || m.nodeCount <= 0) {
    throw fail(`is corrupt: node_count is ${String(m.nodeCount)}`);
  }
  const dataStart = m.searchTreeSize + SEPARATOR_BYTES;
  if (dataStart > metadataStart) {
    throw fail(
      `is corrupt or truncated: its metadata says the search tree is ${m.searchTreeSize} bytes, ` +
        `but only ${metadataStart} bytes precede the metadata`,
    );
  }
  if (bytes.subarray(m.searchTreeSize, dataStart).some((b) => b !== 0)) {
    throw fail('is corrupt: the 16 zero bytes between search tree and data section are not zero');
  }

  const label = basename(path);
  const ipVersion: IpVersion = m.ipVersion;
  const built = m.buildEpoch instanceof Date ? m.buildEpoch.getTime() : Number.NaN;
  return {
    path,
    label,
    databaseType: m.databaseType,
    ipVersion,
    builtAt: Number.isFinite(built) ? new Date(built) : null,
    nodeCount: m.nodeCount,
    sha256: given.sha256,
    lookup(address, version) {
      // An IPv4-only tree would answer an IPv6 address with whatever its first 32 bits hit.
      if (version === 6 && ipVersion === 4) return null;
      try {
        return reader.get(address);
      } catch (err) {
        throw new DetourwatchError(
          'DB_LOOKUP_FAILED',
          `${what} "${path}" is corrupt: looking up ${address} failed (${describeError(err)}); replace the file`,
          { cause: err },
        );
      }
    },
  };
}

/** The build a verdict names: the file name and its build date. */
export function mmdbBuild(role: GeoDatabaseBuild['role'], file: MmdbFile): GeoDatabaseBuild {
  return { role, name: file.label, builtAt: file.builtAt ? file.builtAt.toISOString().slice(0, 10) : null };
}

/** The build with the SHA-256 of its file, for evidence bundles. */
export function mmdbDigest(role: GeoDatabaseBuild['role'], file: MmdbFile): DatabaseDigest {
  return { ...mmdbBuild(role, file), sha256: file.sha256 };
}

/** One startup-log line about an opened file; `role` says what it serves ("city", "asn"). */
export function describeMmdb(role: string, file: MmdbFile): string {
  const built = file.builtAt ? file.builtAt.toISOString().slice(0, 10) : 'unknown';
  return (
    `${role}: ${file.label} (${file.databaseType}, IPv${file.ipVersion} tree, ` +
    `${file.nodeCount.toLocaleString('en-US')} nodes, built ${built}) from ${file.path}`
  );
}
