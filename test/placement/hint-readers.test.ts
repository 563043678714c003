/**
 * Each hint reader on real router-name shapes, over the packaged dictionaries (OurAirports, GeoNames, the
 * hand-kept tables), including the guards against false readings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readCityNames } from '../../server/placement/city-reader.ts';
import { readClli } from '../../server/placement/clli-reader.ts';
import { readLabelContext } from '../../server/placement/country-labels.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import type { Gazetteer } from '../../server/placement/gazetteer.ts';
import type { HintReading } from '../../server/placement/hint.ts';
import { tokenizeHostname } from '../../server/placement/hostname.ts';
import { readIata } from '../../server/placement/iata-reader.ts';
import { readHostname } from '../../server/placement/read-hints.ts';

let gazetteer: Gazetteer;
beforeAll(() => {
  gazetteer = packagedGazetteer();
});

function tokens(name: string) {
  const t = tokenizeHostname(name);
  if (t === null) throw new Error(`${name} did not tokenize`);
  return t;
}

const summary = (readings: HintReading[]) =>
  readings.map((r) => [r.token, r.label, r.places[0]?.name, r.places[0]?.country]);

describe('IATA codes', () => {
  it.each([
    ['dfw25s12-in-f46.1e100.net', 'dfw', 'US'],
    ['po104.psw04.nrt1.tfbnw.net', 'nrt', 'JP'],
    ['sjc.example.net', 'sjc', 'US'],
    ['xe-0-1.fra03.example.net', 'fra', 'DE'],
    ['ae-3.sin-core.example.net', 'sin', 'SG'],
    ['lon2.example.net', 'lon', 'GB'],
  ])('%s reads %s in %s', (name, code, country) => {
    const readings = readIata(tokens(name), gazetteer);
    expect(readings.map((r) => [r.rule, r.token, r.places[0]?.country])).toEqual([['iata', code, country]]);
  });

  it.each([
    // role words that spell airport codes or sit where codes do
    ['ae-1.r21.core.example.net'],
    ['xe-0-0-1.edge.example.net'],
    ['bbr01.example.net'],
    ['psw04.example.net'],
    ['lo0.cr1.example.net'],
    ['vlan100.gw.example.net'],
    ['static-1-2-3-4.example.net'],
    // inside a run, or part of a longer run: not a code position
    ['xdfw.example.net'],
    ['dfwx1.example.net'],
  ])('%s reads no airport', (name) => {
    expect(readIata(tokens(name), gazetteer)).toEqual([]);
  });

  it('the learning may try every part start, but never role words', () => {
    const t = tokens('atl-core.example.net');
    expect(summary(readIata(t, gazetteer, true))).toEqual([['atl', 0, 'Atlanta', 'US']]);
    expect(readIata(tokens('core-ae.example.net'), gazetteer, true)).toEqual([]);
  });
});

describe('CLLI codes', () => {
  it.each([
    ['ae-1.r21.dllstx09.us.bb.gin.ntt.net', 'clli', 'dllstx', 'Dallas', 'US'],
    ['ae-0.a01.sttlwa01.us.bb.gin.ntt.net', 'clli', 'sttlwa', 'Seattle', 'US'],
    ['asbnva1.example.net', 'clli', 'asbnva', 'Ashburn', 'US'],
    ['ae-5.r21.sngpsi07.sg.bb.gin.ntt.net', 'clli', 'sngpsi', 'Singapore', 'SG'],
    ['ae-2.r24.frnkge13.de.bb.gin.ntt.net', 'clli', 'frnkge', 'Frankfurt am Main', 'DE'],
    // not in the table: the consonant skeleton of a US city and its state
    ['core1.dnvrco.example.net', 'clli', 'dnvrco', 'Denver', 'US'],
    ['core1.phnxaz.example.net', 'clli', 'phnxaz', 'Phoenix', 'US'],
    ['core1.bfflny02.example.net', 'clli-derived', 'bfflny', 'Buffalo', 'US'],
  ])('%s: %s %s -> %s, %s', (name, rule, code, city, country) => {
    const readings = readClli(tokens(name), gazetteer);
    expect(readings.map((r) => [r.rule, r.token])).toEqual([[rule, code]]);
    expect(readings[0]?.places.map((p) => [p.name, p.country])).toContainEqual([city, country]);
  });

  it.each([
    ['abcdxy01.example.net'],
    ['dllstxa.example.net'],
    ['xdllstx.example.net'],
    ['dllst.example.net'],
  ])('%s reads no CLLI code (unknown region, too long, not at a part start, too short)', (name) => {
    expect(readClli(tokens(name), gazetteer)).toEqual([]);
  });
});

describe('city names', () => {
  it.each([
    ['sanjose1.example.net', 'sanjose', 'San Jose', 'US'],
    ['Dallas1.example.net', 'dallas', 'Dallas', 'US'],
    ['core1.amsterdam.example.nl', 'amsterdam', 'Amsterdam', 'NL'],
    ['ae-2.frankfurt.example.de', 'frankfurt', 'Frankfurt am Main', 'DE'],
    ['if-ae-12-2.tcore1.n75-new-york.as6453.net', 'newyork', 'New York City', 'US'],
    ['ae2.3611.edge2.NewYork6.level3.net', 'newyork', 'New York City', 'US'],
  ])('%s reads %s, most notable namesake %s (%s)', (name, token, city, country) => {
    const readings = readCityNames(tokens(name), gazetteer);
    expect(readings.map((r) => r.token)).toEqual([token]);
    expect([readings[0]?.places[0]?.name, readings[0]?.places[0]?.country]).toEqual([city, country]);
  });

  it('keeps every namesake for the RTTs to choose from', () => {
    const [reading] = readCityNames(tokens('sanjose1.example.net'), gazetteer);
    const countries = new Set(reading?.places.map((p) => p.country));
    expect(countries.has('US')).toBe(true);
    expect(countries.has('CR')).toBe(true);
  });

  it.each([
    ['core1.example.net'],
    ['edge-static.example.net'],
    ['customer.broadband.example.net'],
    ['ec2-175-41-192-133.ap-northeast-1.compute.amazonaws.com'],
    // short names of towns no airport serves are chance spellings
    ['ede1.example.net'],
  ])('%s reads no city', (name) => {
    expect(readCityNames(tokens(name), gazetteer)).toEqual([]);
  });
});

describe('country and state labels', () => {
  it.each([
    ['ae-1.r21.dllstx09.us.bb.gin.ntt.net', ['US'], []],
    ['core1.fra.de.example.net', ['DE'], ['DE']],
    ['x.sg.example.net', ['SG'], []],
    ['core1.lon.uk.example.net', ['GB'], []],
    ['216-230-231-141.static.houston.tx.oplink.net', [], ['TX']],
    // role words that are also countries (ae = UAE, br = Brazil, bb = Barbados), and the host label itself
    ['ae.br.bb.example.net', [], []],
    ['us.example.net', [], []],
  ])('%s: countries %j, US states %j', (name, countries, states) => {
    const context = readLabelContext(tokens(name), gazetteer);
    expect([...context.countries]).toEqual(countries);
    expect([...context.usStates]).toEqual(states);
  });
});

describe('readHostname with a learned convention', () => {
  it('keeps only readings at the adopted positions and adds the learned codes there', () => {
    const t = tokens('ae-1.sea.zzq.example.net');
    const seattle = gazetteer.airport('sea');
    if (seattle === null) throw new Error('no SEA');
    const learned = readHostname(t, gazetteer, {
      suffix: 'example.net',
      adopted: [{ rule: 'iata', label: 0, consistent: 5, refuted: 0 }],
      rejected: [],
      codes: { zzq: { place: seattle, addresses: 3 } },
    });
    expect(learned.readings.map((r) => [r.rule, r.token, r.label])).toEqual([['learned-code', 'zzq', 0]]);
    expect(learned.dropped.map((d) => [d.reading.token, d.reading.label])).toEqual([['sea', 1]]);
    expect(learned.dropped[0]?.why).toMatch(/example\.net names do not carry iata codes in label 1/);
  });
});
