/**
 * Issue 15, item 2, through the analyzer a coordinator builds: after the network has analysed traces from five
 * agents at declared positions through routers of one operator (airport codes in one label, and a code of its
 * own, `dalx`, on three Dallas routers), the convention keeper has learned `dalx`, and a new trace's hop named
 * with it, which the database puts in Monterrey, is placed by `hostname` in Dallas. The same trace before the
 * network saw those names is not. Databases from the project's MMDB writer; RTTs from the physics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourcePosition } from '../../protocol/annotated.ts';
import { type Analyzer, createAnalyzer } from '../../server/analyze/pipeline.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { greatCircleKm, type LatLon } from '../../server/physics/great-circle.ts';
import { createConventionKeeper, observationsOf } from '../../server/placement/convention-keeper.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import { writeCityDb } from '../helpers/mmdb-writer.ts';
import { AT } from '../placement/places.ts';

const KM_PER_MS = 100;
const AGENTS: LatLon[] = [AT.dallas, AT.seattle, AT.atlanta, AT.denver, AT.chicago];
const ROUTERS: Array<[string, string, LatLon]> = [
  ['198.51.100.1', 'lhr-1.cr1.dfw03.example-bb.net', AT.dallas],
  ['198.51.100.2', 'nrt-7.cr2.sea01.example-bb.net', AT.seattle],
  ['198.51.100.3', 'syd-2.cr1.atl02.example-bb.net', AT.atlanta],
  ['198.51.100.4', 'cdg-4.cr1.den01.example-bb.net', AT.denver],
  ['198.51.100.5', 'hkg-1.cr1.ord04.example-bb.net', AT.chicago],
  ['198.51.100.6', 'xe-1.cr1.dalx01.example-bb.net', AT.dallas],
  ['198.51.100.7', 'xe-2.cr2.dalx01.example-bb.net', AT.dallas],
  ['198.51.100.8', 'xe-3.cr1.dalx02.example-bb.net', AT.dallas],
];
const NEW_ROUTER = '198.51.100.9';
const NEW_NAME = 'ae-9.cr3.dalx07.example-bb.net';

let dir: string;
let base: Analyzer;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-conventions-'));
  const cityDb = path.join(dir, 'city.mmdb');
  writeCityDb(
    cityDb,
    [
      { network: '198.51.100.0/24', country: 'MX', city: 'Monterrey', accuracyKm: 20, ...AT.monterrey },
      { network: '203.0.113.0/24', country: 'US', city: 'Dallas', accuracyKm: 20, ...AT.dallas },
    ],
    'geoip2',
  );
  base = createAnalyzer({ cityDb, kmPerMs: KM_PER_MS, lookUpDocumentation: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function traceText(name: string, address: string, rttMs: number): string {
  const ms = (v: number) => `${v.toFixed(3)} ms`;
  return [
    'traceroute to 203.0.113.9 (203.0.113.9), 30 hops max, 60 byte packets',
    ` 1  ${name} (${address})  ${ms(rttMs)}  ${ms(rttMs + 0.2)}  ${ms(rttMs + 0.3)}`,
    ` 2  203.0.113.9 (203.0.113.9)  ${ms(rttMs + 1)}  ${ms(rttMs + 1.1)}  ${ms(rttMs + 1.2)}`,
    '',
  ].join('\n');
}

const declared = (at: LatLon): SourcePosition => ({ ...at, source: 'declared' });

describe('conventions the network learns', () => {
  it('places a new hop with a learned custom code by hostname', () => {
    const keeper = createConventionKeeper({
      gazetteer: packagedGazetteer,
      kmPerMs: KM_PER_MS,
      relearnEvery: AGENTS.length * ROUTERS.length,
    });
    const analyzer = base.withLearned({ conventions: keeper.conventions });
    // From Denver, at an RTT that cannot rule Monterrey out.
    const denverRtt = greatCircleKm(AT.denver, AT.monterrey) / KM_PER_MS + 3;
    const [probe] = parseTraces(traceText(NEW_NAME, NEW_ROUTER, denverRtt));
    if (probe === undefined) throw new Error('no trace parsed');
    const before = analyzer.annotateAndJudge(probe, declared(AT.denver)).annotated;
    expect(before.placements?.[NEW_ROUTER]?.source).not.toBe('hostname');
    expect(before.addresses[NEW_ROUTER]?.location?.country).toBe('MX');

    for (const at of AGENTS) {
      for (const [address, name, routerAt] of ROUTERS) {
        const [trace] = parseTraces(traceText(name, address, greatCircleKm(at, routerAt) / KM_PER_MS + 0.4));
        if (trace === undefined) throw new Error('no trace parsed');
        keeper.observe(observationsOf(analyzer.annotateAndJudge(trace, declared(at)).annotated));
      }
    }
    expect(keeper.learnings()).toBe(1);
    expect(keeper.conventions.get('example-bb.net')?.codes.dalx).toBeDefined();

    const after = analyzer.annotateAndJudge(probe, declared(AT.denver)).annotated;
    const placement = after.placements?.[NEW_ROUTER];
    expect(placement?.source).toBe('hostname');
    expect(placement?.hostname).toBe(NEW_NAME);
    expect(placement?.token).toBe('dalx');
    const location = after.addresses[NEW_ROUTER]?.location;
    expect(location?.country).toBe('US');
    if (location === null || location === undefined) throw new Error('no location');
    expect(greatCircleKm(location, AT.dallas)).toBeLessThan(100);
  });

  it('learns nothing from a prober whose position is only a database guess', () => {
    const [trace] = parseTraces(traceText(ROUTERS[0]?.[1] ?? '', '198.51.100.1', 1));
    if (trace === undefined) throw new Error('no trace parsed');
    const annotated = base.annotateAndJudge(trace, { ...AT.dallas, source: 'city-db' }).annotated;
    expect(observationsOf(annotated)).toEqual([]);
    const declaredObs = observationsOf(base.annotateAndJudge(trace, declared(AT.dallas)).annotated);
    expect(declaredObs).toMatchObject([{ address: '198.51.100.1', hostname: ROUTERS[0]?.[1], rttMs: 1 }]);
  });
});
