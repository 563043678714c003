/**
 * A small MaxMind DB (MMDB v2.0) writer for tests, written from MaxMind-DB-spec.md: a binary search tree over
 * address bits, 16 zero bytes, a data section, then the metadata marker and a metadata map. It lets tests
 * place documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) in chosen
 * countries, and write deliberately bad records.
 */
import { writeFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

/** A number whose MMDB type the caller chooses (plain numbers are written as uint32 when whole, else double). */
export class MmdbNumber {
  constructor(
    readonly type: 'double' | 'float' | 'uint16' | 'uint32' | 'int32' | 'uint64',
    readonly value: number | bigint,
  ) {}
}

export const double = (value: number) => new MmdbNumber('double', value);
export const uint16 = (value: number) => new MmdbNumber('uint16', value);
export const uint32 = (value: number) => new MmdbNumber('uint32', value);

export type MmdbValue =
  | string
  | number
  | bigint
  | boolean
  | MmdbNumber
  | MmdbValue[]
  | { [key: string]: MmdbValue };

export interface MmdbRecord {
  /** CIDR: '203.0.113.0/24', '2001:db8::/32'. IPv4 networks in an IPv6 tree go under ::/96, as the spec says. */
  network: string;
  data: MmdbValue;
}

export interface MmdbSpec {
  databaseType: string;
  records: MmdbRecord[];
  /** 6 (default) stores IPv4 and IPv6; 4 accepts IPv4 networks only. */
  ipVersion?: 4 | 6;
  recordSize?: 24 | 28;
  languages?: string[];
  description?: Record<string, string>;
  /** Unix seconds; defaults to a fixed instant so that written files are reproducible. */
  buildEpoch?: number;
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');

// ---- data section encoding -------------------------------------------------------------------------

const TYPE = {
  string: 2,
  double: 3,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  array: 11,
  boolean: 14,
  float: 15,
} as const;

function control(type: number, size: number): Buffer {
  const head: number[] = [];
  const ext: number[] = [];
  let sizeBits: number;
  if (size < 29) sizeBits = size;
  else if (size < 285) {
    sizeBits = 29;
    ext.push(size - 29);
  } else if (size < 65_821) {
    sizeBits = 30;
    ext.push((size - 285) >> 8, (size - 285) & 0xff);
  } else {
    sizeBits = 31;
    const n = size - 65_821;
    ext.push((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  }
  if (type <= 7) head.push((type << 5) | sizeBits);
  else head.push(sizeBits, type - 7);
  return Buffer.from([...head, ...ext]);
}

function unsignedBytes(value: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Buffer.from(bytes);
}

function encodeNumber(n: MmdbNumber): Buffer {
  switch (n.type) {
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(Number(n.value));
      return Buffer.concat([control(TYPE.double, 8), b]);
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(Number(n.value));
      return Buffer.concat([control(TYPE.float, 4), b]);
    }
    case 'int32': {
      const b = Buffer.alloc(4);
      b.writeInt32BE(Number(n.value));
      return Buffer.concat([control(TYPE.int32, 4), b]);
    }
    default: {
      const bytes = unsignedBytes(BigInt(n.value));
      return Buffer.concat([control(TYPE[n.type], bytes.length), bytes]);
    }
  }
}

function encodeValue(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(TYPE.string, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(TYPE.boolean, value ? 1 : 0);
  if (typeof value === 'bigint') return encodeNumber(new MmdbNumber('uint64', value));
  if (typeof value === 'number') {
    const whole = Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
    return encodeNumber(new MmdbNumber(whole ? 'uint32' : 'double', value));
  }
  if (value instanceof MmdbNumber) return encodeNumber(value);
  if (Array.isArray(value))
    return Buffer.concat([control(TYPE.array, value.length), ...value.map(encodeValue)]);
  const entries = Object.entries(value);
  return Buffer.concat([
    control(TYPE.map, entries.length),
    ...entries.flatMap(([k, v]) => [encodeValue(k), encodeValue(v)]),
  ]);
}

// ---- search tree --------------------------------------------------------------------------------------

interface TreeNode {
  children: [Slot, Slot];
}
/** A record slot: another node, a data offset (into the data section), or nothing. */
type Slot = TreeNode | { data: number } | null;

function isNode(slot: Slot): slot is TreeNode {
  return slot !== null && 'children' in slot;
}

/** The network's address as bits (32 or 128 of them) and its prefix length, placed in a tree of `treeBits`. */
function networkBits(network: string, treeBits: 32 | 128): { bits: number[]; prefix: number } {
  const slash = network.lastIndexOf('/');
  if (slash === -1) throw new Error(`network "${network}" has no /prefix`);
  const address = network.slice(0, slash);
  const prefix = Number(network.slice(slash + 1));
  let bytes: number[];
  let offset = 0;
  if (isIPv4(address)) {
    bytes = address.split('.').map(Number);
    if (treeBits === 128) offset = 96;
  } else if (isIPv6(address)) {
    if (treeBits === 32)
      throw new Error(`IPv6 network ${network} cannot go into an IPv4 (ip_version 4) tree`);
    bytes = ipv6Bytes(address);
  } else throw new Error(`"${address}" is not an IP address`);
  const width = bytes.length * 8;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) throw new Error(`bad prefix in ${network}`);
  const bits = new Array<number>(offset).fill(0);
  for (let i = 0; i < prefix; i++) bits.push(((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1);
  return { bits, prefix: offset + prefix };
}

function ipv6Bytes(address: string): number[] {
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = groups(tail ?? '');
  const all =
    tail === undefined
      ? left
      : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function insert(root: TreeNode, bits: number[], data: { data: number }): void {
  let node = root;
  for (let depth = 0; depth < bits.length - 1; depth++) {
    const side = bits[depth] === 1 ? 1 : 0;
    const slot = node.children[side];
    if (isNode(slot)) node = slot;
    else {
      // Split a leaf: the less specific network keeps both halves below this point.
      const child: TreeNode = { children: [slot, slot] };
      node.children[side] = child;
      node = child;
    }
  }
  const last = bits[bits.length - 1] === 1 ? 1 : 0;
  node.children[last] = data;
}

function writeRecord(out: Buffer, offset: number, recordSize: 24 | 28, left: number, right: number): void {
  if (recordSize === 24) {
    out.writeUIntBE(left, offset, 3);
    out.writeUIntBE(right, offset + 3, 3);
    return;
  }
  out.writeUIntBE(left & 0xffffff, offset, 3);
  out[offset + 3] = ((left >>> 24) << 4) | (right >>> 24);
  out.writeUIntBE(right & 0xffffff, offset + 4, 3);
}

/** Builds the bytes of an MMDB file. */
export function buildMmdb(spec: MmdbSpec): Buffer {
  const ipVersion = spec.ipVersion ?? 6;
  const recordSize = spec.recordSize ?? 28;
  const treeBits = ipVersion === 4 ? 32 : 128;

  const chunks: Buffer[] = [];
  const offsets = new Map<string, number>();
  let dataLength = 0;
  const placed = spec.records.map((r) => {
    const bytes = encodeValue(r.data);
    const key = bytes.toString('hex');
    let offset = offsets.get(key);
    if (offset === undefined) {
      offset = dataLength;
      offsets.set(key, offset);
      chunks.push(bytes);
      dataLength += bytes.length;
    }
    return { ...networkBits(r.network, treeBits), offset };
  });

  // Less specific networks first, so that more specific ones split them.
  placed.sort((a, b) => a.prefix - b.prefix);
  const root: TreeNode = { children: [null, null] };
  for (const p of placed) {
    if (p.prefix === 0) throw new Error('a /0 network is not supported by this writer');
    insert(root, p.bits, { data: p.offset });
  }

  const nodes: TreeNode[] = [];
  const numbers = new Map<TreeNode, number>();
  // Breadth-first numbering: the root must be node 0.
  nodes.push(root);
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as TreeNode;
    numbers.set(node, i);
    for (const child of node.children) if (isNode(child)) nodes.push(child);
  }
  const nodeCount = nodes.length;
  const recordValue = (slot: Slot): number => {
    if (slot === null) return nodeCount;
    if (isNode(slot)) return numbers.get(slot) ?? nodeCount;
    return nodeCount + 16 + slot.data;
  };
  const max = 2 ** recordSize;
  if (nodeCount + 16 + dataLength >= max) throw new Error(`data does not fit ${recordSize}-bit records`);

  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  nodes.forEach((node, i) => {
    writeRecord(
      tree,
      i * nodeBytes,
      recordSize,
      recordValue(node.children[0]),
      recordValue(node.children[1]),
    );
  });

  const metadata = encodeValue({
    node_count: uint32(nodeCount),
    record_size: uint16(recordSize),
    ip_version: uint16(ipVersion),
    database_type: spec.databaseType,
    languages: spec.languages ?? ['en'],
    binary_format_major_version: uint16(2),
    binary_format_minor_version: uint16(0),
    build_epoch: new MmdbNumber('uint64', BigInt(spec.buildEpoch ?? 1_700_000_000)),
    description: spec.description ?? { en: `detourwatch test database (${spec.databaseType})` },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...chunks, METADATA_MARKER, metadata]);
}

export function writeMmdb(path: string, spec: MmdbSpec): void {
  writeFileSync(path, buildMmdb(spec));
}

// ---- conveniences for City and ASN databases ----------------------------------------------------------

export interface CityEntry {
  network: string;
  country: string;
  city?: string;
  lat: number;
  lon: number;
  accuracyKm?: number;
}

/**
 * A City database: 'geoip2' writes GeoIP2/GeoLite2 City's nested records (type GeoLite2-City), 'flat' writes
 * @ip-location-db's flat records (type "city ipv6"). Both are IPv6 trees holding IPv4 under ::/96.
 */
export function writeCityDb(path: string, entries: CityEntry[], shape: 'geoip2' | 'flat'): void {
  const records = entries.map((e): MmdbRecord => {
    if (shape === 'flat') {
      return {
        network: e.network,
        data: {
          country_code: e.country,
          city: e.city ?? '',
          state1: '',
          latitude: double(e.lat),
          longitude: double(e.lon),
        },
      };
    }
    const location: Record<string, MmdbValue> = { latitude: double(e.lat), longitude: double(e.lon) };
    if (e.accuracyKm !== undefined) location.accuracy_radius = uint16(e.accuracyKm);
    const data: Record<string, MmdbValue> = {
      country: { iso_code: e.country, names: { en: e.country } },
      location,
    };
    if (e.city !== undefined) data.city = { names: { en: e.city } };
    return { network: e.network, data };
  });
  writeMmdb(path, { databaseType: shape === 'flat' ? 'city ipv6' : 'GeoLite2-City', records });
}

export interface AsnEntry {
  network: string;
  asn: number;
  org: string;
}

/** A GeoLite2-ASN-format database (autonomous_system_number, autonomous_system_organization). */
export function writeAsnDb(path: string, entries: AsnEntry[]): void {
  writeMmdb(path, {
    databaseType: 'GeoLite2-ASN',
    records: entries.map((e) => ({
      network: e.network,
      data: { autonomous_system_number: uint32(e.asn), autonomous_system_organization: e.org },
    })),
  });
}
