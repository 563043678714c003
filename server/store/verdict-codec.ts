/**
 * How a trace's verdict is kept on disk (issue 17): its JSON deflated against a fixed dictionary of the
 * verdict's own key names and enum values, so a ~4 KB verdict takes ~0.6 KB, in `traces.verdict_z`, with
 * `verdict_json` left ''. Rows stored before (and rows a location correction rewrites) keep the JSON text
 * in `verdict_json`, so readers take both forms: the text when there is one, else the deflated bytes.
 * Lossless: reading either gives JSON.parse of the very text the verdict was stringified to.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Verdict } from '../../protocol/verdict.ts';

/** The first byte of an encoded verdict: which dictionary it was deflated with. Never change a used one. */
const FORMAT_1 = 1;

const NULL_HOP =
  '{"ttl":,"ip":"","status":"special","country":null,"rttMs":,"minRttMs":null,"name":null,"asn":null,"org":null,"city":null,"lat":null,"lon":null,"precision":null,"database":null}';
const HOME_HOP =
  '{"ttl":,"ip":"","status":"home","country":"US","rttMs":,"minRttMs":,"name":null,"asn":,"org":"","city":null,"lat":,"lon":,"precision":"country","database":".mmdb"}';
/**
 * Deflate looks back at most 32 KiB and finds near matches cheapest, so the most common shapes (a hop
 * reading) come last. Only the verdict's own vocabulary (protocol/verdict.ts), nothing of any one trace.
 */
const DICTIONARY_1 = Buffer.from(
  [
    '"placement":{"source":"hostname","hostname":"","rule":"","token":"","reason":"","rejected":[{"source":"database","rule":null,"token":null,"country":"","city":"","why":""}]}',
    '"refutedHops":[{"ttl":,"ip":"","claimedCountry":"","claimedCity":null,"reason":"own-rtt","rttMs":,"maxKm":,"claimedKm":,"refutedByTtl":,"evidence":"later-reply constraint"}]',
    '"geoDatabases":[{"role":"city","name":"geolite-city-ipv4.mmdb","builtAt":""},{"role":"city","name":"geolite-city-ipv6.mmdb","builtAt":""},{"role":"asn","name":"@ip-location-db/asn","builtAt":null}]}',
    '"foreignHops":[{"ttl":,"ip":"","country":"","asn":,"org":"","city":"","lat":,"lon":,"precision":"city","rttMs":,"minRttMs":,"confirmed":false}]',
    '{"status":"foreign-confirmed","status":"foreign-probable","status":"refuted","status":"unlocated","status":"no-reply","country":"GB","precision":"city"}',
    '{"verdict":"domestic","verdict":"inconclusive","verdict":"implausible","verdict":"detour","confidence":"confirmed","confidence":"probable",',
    '{"verdict":"foreign-endpoint","confidence":null,"homeCountry":"US","homeCountries":["US","PR","GU","VI","AS","MP","UM"],"source":{"ip":"","country":"US"},"destination":{"ip":"","country":"US"},"countries":["US"],"foreignAsns":[],"foreignHops":[],"refutedHops":[],"extraKm":null,"reason":"","hops":[',
    NULL_HOP,
    HOME_HOP,
    NULL_HOP,
    HOME_HOP,
  ].join(''),
);

/** Level 1: each call pays zlib's set-up anyway; 6 saves ~120 B more per verdict for ~2x the time. */
const LEVEL = 1;

export function encodeVerdict(verdict: Verdict): Buffer {
  const body = deflateRawSync(JSON.stringify(verdict), { level: LEVEL, dictionary: DICTIONARY_1 });
  return Buffer.concat([Buffer.of(FORMAT_1), body]);
}

/** A stored verdict in either form: `json` when it is not '' (older rows, corrections), else `encoded`. */
export function decodeVerdict(json: string | null, encoded: Uint8Array | null): Verdict {
  if (json !== null && json !== '') return JSON.parse(json) as Verdict;
  if (encoded === null || encoded.length < 2 || encoded[0] !== FORMAT_1) {
    throw new DetourwatchError('STORE_FAILED', 'a stored verdict is neither JSON text nor a known encoding');
  }
  const text = inflateRawSync(encoded.subarray(1), { dictionary: DICTIONARY_1 }).toString('utf8');
  return JSON.parse(text) as Verdict;
}
