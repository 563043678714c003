/**
 * For the operator and the reviewer, not the product: fills an EMPTY PostgreSQL database with generated
 * traces through the store's own write path (writeImported in batches, the incident fold bound), then asks
 * every history query of the store and prints each statement as the store sent it with its EXPLAIN
 * (ANALYZE, BUFFERS) plan, so the indexes listed in history.ts can be checked against what the planner does.
 *
 *   npx tsx server/store/pg/explain-history.ts postgres://USER@HOST:PORT/EMPTY_DB [TRACES] > plans.txt
 */
import { NO_DETOUR_FILTER, NO_INCIDENT_FILTER, NO_TRACE_FILTER } from '../../history/filters.ts';
import { DAY_MS } from '../../history/stats-window.ts';
import { startIncidentTracker } from '../../incidents/tracker.ts';
import type { ImportRecord } from '../trace-store.ts';
import { openPostgresStore, type PgStore } from './open.ts';

const HOUR = 3_600_000;
const AGENTS = Array.from({ length: 12 }, (_, i) => `ag_bench${String(i).padStart(2, '0')}`);
const FOREIGN = [
  { country: 'CN', asn: 4134 },
  { country: 'CN', asn: 4809 },
  { country: 'RU', asn: 12389 },
  { country: 'DE', asn: 3320 },
];

/** A deterministic pseudo-random sequence (so two runs fill the same rows). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One generated trace: 15 hops, one in 60 a detour (by one of four causes), over `spanDays` to `end`. */
function generated(n: number, total: number, end: number, spanDays: number, rnd: () => number): ImportRecord {
  const startedAt = end - spanDays * DAY_MS + Math.floor((n / total) * spanDays * DAY_MS);
  const agentId = AGENTS[n % AGENTS.length] ?? null;
  const target = `203.0.${(n * 7) % 200}.${1 + (n % 250)}`;
  const detour = rnd() < 1 / 60;
  const cause = FOREIGN[Math.floor(rnd() * FOREIGN.length)] ?? { country: 'CN', asn: 4134 };
  const hops = Array.from({ length: 15 }, (_, i) => ({
    ttl: i + 1,
    replies: [{ address: `198.51.${i}.${n % 250}`, rttMs: 1 + i * 4 + rnd() }],
  }));
  const verdict = detour
    ? 'detour'
    : rnd() < 0.85
      ? 'domestic'
      : rnd() < 0.5
        ? 'foreign-endpoint'
        : 'inconclusive';
  return {
    origin: 'agent',
    agentId,
    importKey: `explain-${n}`,
    trace: {
      tool: 'scamper',
      method: 'icmp-paris',
      ipVersion: 4,
      source: { address: `192.0.2.${n % AGENTS.length}` },
      destination: { address: target, ...(n % 5 === 0 ? { name: `host${n % 97}.example.net` } : {}) },
      startedAt: new Date(startedAt).toISOString(),
      hops,
    },
    verdict: {
      verdict,
      confidence: detour ? (rnd() < 0.6 ? 'confirmed' : 'probable') : null,
      homeCountry: 'US',
      source: { ip: `192.0.2.${n % AGENTS.length}`, country: 'US' },
      destination: { ip: target, country: 'US' },
      countries: detour ? ['US', cause.country, 'US'] : ['US'],
      foreignAsns: detour ? [cause.asn] : [],
      foreignHops: detour
        ? [
            {
              ttl: 6,
              ip: '198.51.5.1',
              country: cause.country,
              asn: cause.asn,
              org: null,
              city: null,
              lat: 30,
              lon: 120,
              precision: 'city',
              rttMs: 180,
              minRttMs: 100,
              confirmed: true,
            },
          ]
        : [],
      refutedHops: [],
      extraKm: detour ? 18000 : null,
      reason: `generated ${verdict}`,
      hops: [],
    },
    sourcePosition: { lat: 40 + (n % AGENTS.length), lon: -100 },
    pathAsns: detour ? [3356, cause.asn, 7018] : [3356, 7018],
  };
}

/** Fills the store: `total` traces over the last 90 days, in batches of 2,000. Resolves with traces/s. */
export async function fill(store: PgStore, total: number, end: number): Promise<number> {
  const tracker = await startIncidentTracker({ store, quietMs: 2 * HOUR, now: () => end, raise: () => {} });
  const rnd = random(1);
  const began = performance.now();
  for (let n = 0; n < total; n += 2000) {
    const batch = Array.from({ length: Math.min(2000, total - n) }, (_, i) =>
      generated(n + i, total, end, 90, rnd),
    );
    await store.writeImported(batch);
  }
  const seconds = (performance.now() - began) / 1000;
  tracker.stop();
  // What autovacuum does soon after a bulk load: statistics, and the visibility map index-only scans need.
  await store.pool.query('VACUUM ANALYZE');
  return total / seconds;
}

/** Every statement `read` sends, each with its plan. */
async function explain(store: PgStore, label: string, read: () => Promise<unknown>): Promise<string> {
  const sent: { text: string; values: unknown[] }[] = [];
  const pool = store.pool as unknown as { query: (text: string, values?: unknown[]) => Promise<unknown> };
  const original = pool.query.bind(pool);
  pool.query = (text: string, values?: unknown[]) => {
    sent.push({ text, values: values ?? [] });
    return original(text, values);
  };
  try {
    await read();
  } finally {
    pool.query = original;
  }
  const out = [`=== ${label}`];
  for (const s of sent) {
    const plan = (await original(`EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, s.values)) as {
      rows: { 'QUERY PLAN': string }[];
    };
    const shown = s.values.map((v) => (typeof v === 'string' && v.length > 60 ? `${v.slice(0, 57)}...` : v));
    out.push(s.text.replace(/\s+/g, ' ').trim(), `-- parameters: ${JSON.stringify(shown)}`);
    out.push(...plan.rows.map((r) => r['QUERY PLAN']), '');
  }
  return out.join('\n');
}

export async function explainHistory(store: PgStore, now: number): Promise<string> {
  const page = { limit: 50, after: null, now, fingerprint: '' };
  const noTrace = NO_TRACE_FILTER;
  const noDetour = NO_DETOUR_FILTER;
  const noIncident = NO_INCIDENT_FILTER;
  const mid = (await store.lastTraceId()) - 40_000;
  const week = { since: now - 37 * DAY_MS, until: now - 30 * DAY_MS };
  const [incident] = (await store.incidentPage(noIncident, { ...page, limit: 1 })).items;
  const agent = AGENTS[3] ?? '';
  const queries: [string, () => Promise<unknown>][] = [
    ['traces: newest first', () => store.tracePage(noTrace, page)],
    ['traces: a later page (cursor)', () => store.tracePage(noTrace, { ...page, after: mid })],
    ['traces: by agent', () => store.tracePage({ ...noTrace, agent }, page)],
    ['traces: by target address', () => store.tracePage({ ...noTrace, target: '203.0.21.4' }, page)],
    ['traces: by target name', () => store.tracePage({ ...noTrace, target: 'HOST5.example.net' }, page)],
    ['traces: a week a month ago', () => store.tracePage({ ...noTrace, ...week }, page)],
    ['traces: by agent in a week', () => store.tracePage({ ...noTrace, ...week, agent }, page)],
    ['trace detail (trace, then its hops)', () => store.traceDetail(mid)],
    ['detours: newest first', () => store.detourPage(noDetour, page)],
    ['detours: via CN', () => store.detourPage({ ...noDetour, country: 'CN' }, page)],
    ['detours: via AS4809', () => store.detourPage({ ...noDetour, asn: 4809 }, page)],
    ['detours: via RU in a week', () => store.detourPage({ ...noDetour, ...week, country: 'RU' }, page)],
    ['detours: by agent', () => store.detourPage({ ...noDetour, agent }, page)],
    ['detours: by agent in a week', () => store.detourPage({ ...noDetour, ...week, agent }, page)],
    [
      'detours: export, first chunk',
      async () => {
        for await (const _ of store.detourExport({ ...noDetour, country: 'DE' })) return;
      },
    ],
    ['incidents: newest first', () => store.incidentPage(noIncident, page)],
    ['incidents: open', () => store.incidentPage({ ...noIncident, state: 'open' }, page)],
    ['incidents: via RU', () => store.incidentPage({ ...noIncident, country: 'RU' }, page)],
    ['incidents: by agent in a week', () => store.incidentPage({ ...noIncident, ...week, agent }, page)],
    ['incident detail', () => store.incidentDetail(incident?.id ?? 1)],
    ['incident evidence traces', () => store.incidentTracePage(incident?.id ?? 1, page)],
    ['baselines: by agent', () => store.baselinePage({ agent, target: null }, page)],
    ['stats: 30 days', () => store.dailyStats({ since: null, until: null }, null, now)],
    ['stats: 30 days of an agent', () => store.dailyStats({ since: null, until: null }, agent, now)],
    ['map: detours newest first', () => store.mapDetours({ ...noDetour, incident: null }, 500)],
    ['events: the live stream after a seq', () => store.eventsAfter(0, { limit: 200, types: null })],
    ['history counts', () => store.historyCounts()],
  ];
  const parts: string[] = [];
  for (const [label, read] of queries) parts.push(await explain(store, label, read));
  return parts.join('\n');
}

if (process.argv[1]?.endsWith('explain-history.ts')) {
  const url = process.argv[2];
  const total = Number(process.argv[3] ?? 100_000);
  if (!url) {
    process.stderr.write('usage: npx tsx server/store/pg/explain-history.ts postgres://... [TRACES]\n');
    process.exit(2);
  }
  const store = await openPostgresStore({ url, create: true });
  try {
    const now = Date.now();
    if ((await store.lastTraceId()) === 0) {
      const rate = await fill(store, total, now);
      process.stdout.write(
        `filled ${total} traces (15 hops each) through writeImported: ${rate.toFixed(0)} traces/s\n\n`,
      );
    }
    process.stdout.write(`${await explainHistory(store, now)}\n`);
  } finally {
    await store.close();
  }
}
