import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { openAsnDb } from '../../server/geo/asn-db.ts';
import { parseAsnRecord } from '../../server/geo/asn-record.ts';
import { openCityDb } from '../../server/geo/city-db.ts';
import { parseCityRecord } from '../../server/geo/city-record.ts';
import { openMmdb } from '../../server/geo/mmdb-file.ts';
import { haveMaxmind, maxmindDir, warnIfNoMaxmind } from './fixtures.ts';

/**
 * MaxMind's deliberately corrupt databases (bad-data/). Each must end in one of three ways: refused at open,
 * refused at lookup, or opened with every record it returns rejected by validation. Never a crash or a hang.
 */
const badDir = path.join(maxmindDir, 'bad-data');
const files = haveMaxmind
  ? readdirSync(badDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.mmdb'))
      .sort()
  : [];

const PROBES = [
  '1.1.1.1',
  '1.1.1.3',
  '81.2.69.142',
  '0.0.0.0',
  '128.0.0.1',
  '255.255.255.255',
  '::',
  '::1:ffff:ffff',
  '2001:db8::1',
  'ffff::1',
];

type Outcome = 'refused at open' | 'refused at lookup' | 'opened, records rejected' | 'opened, no records';

function expectNamedError(err: unknown, code: string, file: string): void {
  expect(err).toBeInstanceOf(DetourwatchError);
  expect((err as DetourwatchError).code).toBe(code);
  expect((err as DetourwatchError).message).toContain(file);
}

function probe(file: string): Outcome {
  let db: ReturnType<typeof openMmdb>;
  try {
    db = openMmdb(file, 'test database');
  } catch (err) {
    expectNamedError(err, 'DB_OPEN_FAILED', file);
    return 'refused at open';
  }
  let failed = false;
  let returned = false;
  for (const address of PROBES) {
    try {
      const raw = db.lookup(address, address.includes(':') ? 6 : 4);
      if (raw !== null) returned = true;
      expect(parseCityRecord(raw, db.label)).toBeNull();
      expect(parseAsnRecord(raw, db.label)).toBeNull();
    } catch (err) {
      expectNamedError(err, 'DB_LOOKUP_FAILED', file);
      failed = true;
    }
  }
  if (failed) return 'refused at lookup';
  return returned ? 'opened, records rejected' : 'opened, no records';
}

warnIfNoMaxmind('MaxMind bad-data databases');
describe.skipIf(!haveMaxmind)(
  'MaxMind bad-data: every corrupt database gives a clear error or nothing',
  () => {
    const outcomes = new Map<string, Outcome>();

    it('finds the 21 corrupt files', () => {
      expect(files.length).toBe(21);
    });

    it.each(files)('%s', (name) => {
      const file = path.join(badDir, name);
      const began = performance.now();
      outcomes.set(name, probe(file));
      // Neither as City nor as ASN database may such a file be accepted.
      for (const open of [openCityDb, openAsnDb]) {
        let accepted = false;
        try {
          open(file);
          accepted = true;
        } catch (err) {
          expect(err).toBeInstanceOf(DetourwatchError);
          expect(['DB_OPEN_FAILED', 'DB_WRONG_KIND']).toContain((err as DetourwatchError).code);
        }
        expect(accepted).toBe(false);
      }
      expect(performance.now() - began).toBeLessThan(5_000);
    });

    it('summary', () => {
      const lines = [...outcomes].map(([name, outcome]) => `  ${outcome.padEnd(26)} ${name}`);
      console.info(`bad-data outcomes:\n${lines.join('\n')}`);
      expect(outcomes.size).toBe(files.length);
    });
  },
);
