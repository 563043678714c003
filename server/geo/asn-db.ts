import { DetourwatchError } from '../../protocol/errors.ts';
import { parseAsnRecord } from './asn-record.ts';
import { describeMmdb, mmdbBuild, mmdbDigest, openMmdb } from './mmdb-file.ts';
import type { AsnSource } from './sources.ts';

/** GeoLite2-ASN, GeoIP2-ISP (which carries the same two fields), DB-IP ASN. */
const ASN_TYPE = /asn|isp/i;

/** An ASN database given by the user (--asn-db): GeoLite2-ASN format. */
export function openAsnDb(path: string): AsnSource {
  const file = openMmdb(path, 'ASN database');
  if (!ASN_TYPE.test(file.databaseType)) {
    throw new DetourwatchError(
      'DB_WRONG_KIND',
      `"${path}" is a "${file.databaseType}" database, not an ASN database: give a GeoLite2-ASN .mmdb file ` +
        '(a City database goes to --city-db)',
    );
  }
  return {
    lookup: (address, version) => parseAsnRecord(file.lookup(address, version), file.label),
    describe: () => [describeMmdb('asn', file)],
    builds: () => [mmdbBuild('asn', file)],
    digests: () => [mmdbDigest('asn', file)],
  };
}
