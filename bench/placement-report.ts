/**
 * `node --import tsx bench/placement-report.ts`: what hostname placement does on real traces. Over the 22 RIPE
 * Atlas results, the jc project's traceroute outputs and M-Lab's scamper traces in ../shared/fixtures, with the
 * embedded GeoLite2 data and the packaged place dictionaries, it prints per corpus how many hops each source
 * placed, what became of every hostname reading, and how many database claims the hints overturned (a report,
 * not a test: nothing is asserted). Without ../shared/fixtures it says so and exits 0.
 *
 * Most of these traces have no declared prober position; their probers are private addresses, so no RTT can
 * test a reading and the hints stay `untested` (never used). The second table therefore repeats the run with
 * the prober ASSUMED at its first hop's database city: an approximation for this report only, which the
 * product never makes.
 *
 * Each mode runs twice: with the hints alone, and with stored constraints as a coordinator would keep them if
 * every prober of the corpus were one of its verified agents (at the position the mode gives it): the lowest
 * RTT per address and prober, derived by the product's own write-path function (server/store/router-readings.ts),
 * fed to placement through the same hook the coordinator uses.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SourcePosition } from '../protocol/annotated.ts';
import type { Trace } from '../protocol/trace.ts';
import type { Verdict } from '../protocol/verdict.ts';
import { type Analyzer, analyzerFrom, createAnalyzer } from '../server/analyze/pipeline.ts';
import { createLocator } from '../server/geo/locator.ts';
import { parseTraceLine, parseTraces } from '../server/parse/index.ts';
import { greatCircleKm } from '../server/physics/great-circle.ts';
import { constraintDiscs } from '../server/placement/stored-constraints.ts';
import type { RouterConstraint } from '../server/store/router-constraint-store.ts';
import { routerReadings } from '../server/store/router-readings.ts';
import type { TraceRecord } from '../server/store/trace-store.ts';
import { sharedFixturesDir } from './fixtures.ts';

interface Corpus {
  name: string;
  traces: Trace[];
}

function loadCorpora(shared: string): Corpus[] {
  const atlasDir = path.join(shared, 'ripe-atlas');
  const atlas = readFileSync(path.join(atlasDir, 'sagan_traceroute_results.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => parseTraceLine(l, 'atlas'));
  const jcDir = path.join(shared, 'linux-traceroute-text/jc');
  const jc: Trace[] = [];
  for (const d of readdirSync(jcDir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const f of readdirSync(path.join(jcDir, d.name))
      .filter((f) => /^traceroute.*\.out$/.test(f))
      .sort()) {
      try {
        jc.push(...parseTraces(readFileSync(path.join(jcDir, d.name, f), 'utf8'), 'traceroute'));
      } catch (err) {
        console.warn(`  (jc ${d.name}/${f} does not parse: ${(err as Error).message.slice(0, 80)})`);
      }
    }
  }
  const mlab: Trace[] = [];
  for (const sub of ['scamper1', 'scamper2']) {
    const dir = path.join(shared, 'scamper/m-lab-traceroute-caller/parser/testdata', sub);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)
      .filter((f) => f.startsWith('valid'))
      .sort()) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      const body = text.startsWith('{"UUID"') ? text.slice(text.indexOf('\n') + 1) : text;
      try {
        mlab.push(...parseTraces(body, 'scamper'));
      } catch (err) {
        console.warn(`  (M-Lab ${sub}/${f} does not parse: ${(err as Error).message.slice(0, 80)})`);
      }
    }
  }
  return [
    { name: 'RIPE Atlas (22 results)', traces: atlas },
    { name: 'jc traceroute text', traces: jc },
    { name: 'M-Lab scamper', traces: mlab },
  ];
}

interface Tally {
  traces: number;
  hops: number;
  named: number;
  bySource: Record<string, number>;
  readings: Record<string, number>;
  overturned: number;
  /** Of those, by the source that overturned them. */
  overturnedBy: Record<string, number>;
  /** Database claims refuted by another vantage's stored RTT (not the trace's own prober). */
  refutedByStored: number;
  /** Addresses placed by their name where the database's claim agreed (same country, within its radius). */
  agreed: number;
  verdictChanged: number;
}

const STATUSES = ['chosen', 'consistent', 'refuted', 'ambiguous', 'untested', 'not-trusted'];

function tallyOf(
  corpus: Corpus,
  placed: Analyzer,
  plain: Analyzer,
  position: (t: Trace) => SourcePosition | null,
  notes: Set<string>,
): Tally {
  const tally: Tally = {
    traces: corpus.traces.length,
    hops: 0,
    named: 0,
    bySource: { database: 0, hostname: 0, constraint: 0, operator: 0 },
    readings: Object.fromEntries(STATUSES.map((s) => [s, 0])),
    overturned: 0,
    overturnedBy: { hostname: 0, constraint: 0, operator: 0 },
    refutedByStored: 0,
    agreed: 0,
    verdictChanged: 0,
  };
  for (const trace of corpus.traces) {
    const at = position(trace);
    const { annotated, verdict } = placed.annotateAndJudge(trace, at);
    const before: Verdict = plain.analyze(trace, at);
    if (before.verdict !== verdict.verdict || before.confidence !== verdict.confidence)
      tally.verdictChanged++;
    for (const hop of verdict.hops) {
      if (hop.ip === null) continue;
      tally.hops++;
      if (hop.name) tally.named++;
      if (hop.lat !== null)
        tally.bySource[hop.placement?.source ?? 'database'] =
          (tally.bySource[hop.placement?.source ?? 'database'] ?? 0) + 1;
    }
    for (const [ip, p] of Object.entries(annotated.placements ?? {})) {
      for (const c of p.claims) {
        if (c.source !== 'hostname') continue;
        tally.readings[c.status] = (tally.readings[c.status] ?? 0) + 1;
        if (c.status !== 'chosen' && c.status !== 'untested')
          notes.add(`    ${c.status}: ${ip} ${p.hostname}: ${c.why}`);
      }
      const db = p.claims.find((c) => c.source === 'database');
      if (db?.status === 'refuted' && db.refutation?.byProber === false) tally.refutedByStored++;
      const chosen = p.claims.find((c) => c.status === 'chosen');
      if (p.source === 'database' || db === undefined || chosen === undefined) continue;
      // Overturned: the database's claim names another country, or a point farther than its own radius.
      if (db.country !== chosen.country || greatCircleKm(db, chosen) > db.radiusKm) {
        tally.overturned++;
        tally.overturnedBy[p.source] = (tally.overturnedBy[p.source] ?? 0) + 1;
        notes.add(`    overturned: ${ip} ${p.hostname}: ${p.reason}`);
      } else tally.agreed++;
    }
  }
  return tally;
}

/**
 * The constraints a coordinator would store from this corpus if every prober were a verified agent at the
 * position `position` gives it (else its source address's city, as the analysis finds it): per address the
 * lowest RTT per prober, by the store's own derivation.
 */
function storedConstraints(
  corpus: Corpus,
  plain: Analyzer,
  position: (t: Trace) => SourcePosition | null,
): (address: string) => ReturnType<typeof constraintDiscs> {
  const records: Array<{ record: TraceRecord; startedAt: number }> = [];
  for (const trace of corpus.traces) {
    const { annotated, verdict } = plain.annotateAndJudge(trace, position(trace));
    const at = annotated.sourcePosition;
    if (at === null) continue;
    const prober =
      trace.source.publicAddress ?? trace.source.address ?? `${at.lat.toFixed(2)},${at.lon.toFixed(2)}`;
    records.push({
      record: { origin: 'agent', agentId: prober, trace, verdict, sourcePosition: at },
      startedAt: Date.parse(trace.startedAt ?? '') || 0,
    });
  }
  // One row per (address, prober), the lowest RTT and its position: what router_constraints holds.
  const lowest = new Map<string, RouterConstraint & { ip: string }>();
  for (const r of routerReadings(records)) {
    const key = `${r.ip} ${r.agentId}`;
    const seen = lowest.get(key);
    if (seen !== undefined && seen.minRttMs <= r.rttMs) continue;
    lowest.set(key, {
      ip: r.ip,
      agentId: r.agentId,
      agentName: `${r.agentId}`,
      lat: r.lat,
      lon: r.lon,
      minRttMs: r.rttMs,
      at: r.at,
    });
  }
  const byIp = new Map<string, RouterConstraint[]>();
  for (const c of lowest.values()) byIp.set(c.ip, [...(byIp.get(c.ip) ?? []), c]);
  const discs = new Map([...byIp].map(([ip, cs]) => [ip, constraintDiscs(cs, 100)]));
  return (address) => discs.get(address) ?? [];
}

function print(title: string, rows: Array<[string, Tally]>): void {
  console.log(`\n${title}`);
  const head = [
    'corpus',
    'traces',
    'hops',
    'named',
    'db',
    'hostname',
    'constraint',
    'operator',
    ...STATUSES.map((s) => `hint ${s}`),
    'db agreed',
    'db overturned',
    'by hostname',
    'by constraint',
    'db refuted by stored RTTs',
    'verdicts changed',
  ];
  const body = rows.map(([name, t]) =>
    [
      name,
      t.traces,
      t.hops,
      t.named,
      t.bySource.database,
      t.bySource.hostname,
      t.bySource.constraint,
      t.bySource.operator,
      ...STATUSES.map((s) => t.readings[s]),
      t.agreed,
      t.overturned,
      t.overturnedBy.hostname,
      t.overturnedBy.constraint,
      t.refutedByStored,
      t.verdictChanged,
    ].map(String),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of body) console.log(line(r));
}

const shared = sharedFixturesDir();
if (shared === null) {
  console.warn('SKIPPED: the placement report because ../shared/fixtures is absent');
} else {
  const corpora = loadCorpora(shared);
  const placed = createAnalyzer();
  const plain = analyzerFrom(createLocator(), 'US', 100);
  const locator = createLocator();
  const firstHopCity = (t: Trace): SourcePosition | null => {
    for (const hop of t.hops) {
      for (const r of hop.replies) {
        const loc = r.address === null ? null : locator.locate(r.address).location;
        if (loc?.precision === 'city') return { lat: loc.lat, lon: loc.lon, source: 'declared' };
      }
    }
    return null;
  };
  const run = (label: string, position: (t: Trace) => SourcePosition | null): Array<[string, Tally]> => {
    const notes = new Set<string>();
    const rows = corpora.flatMap((c): Array<[string, Tally]> => {
      const learned = placed.withLearned({ constraintsFor: storedConstraints(c, plain, position) });
      return [
        [`${c.name}, hints`, tallyOf(c, placed, plain, position, notes)],
        [`${c.name}, hints + constraints`, tallyOf(c, learned, plain, position, notes)],
      ];
    });
    console.log(`\n${label}: hostname readings not used, and database claims overturned (distinct):`);
    for (const n of notes) console.log(n);
    return rows;
  };
  const asIs = run('as analyzed', () => null);
  const assumed = run('prober assumed at its first hop', firstHopCity);
  print(
    'as analyzed (prober position from the source address, as `analyze` does without --source-location)',
    asIs,
  );
  print("prober ASSUMED at its first hop's database city (an approximation for this report only)", assumed);
  console.log(
    '\ncolumns: hops = answering hops; db/hostname/constraint/operator = located hops by the source of their placement;\n' +
      'hint <status> = hostname readings by what became of them; db agreed / db overturned = addresses placed by a hint or\n' +
      'constraints whose\n' +
      "database claim agreed (same country, within the database's radius) / named another country or a point beyond its radius;\n" +
      'by hostname / by constraint = which source overturned them; db refuted by stored RTTs = database claims another\n' +
      "prober's lowest RTT rules out (hints + constraints rows: every prober of the corpus taken as a verified agent).",
  );
}
