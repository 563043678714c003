/**
 * Fills a detourwatch store quickly with realistic rows, through the product's own batched write path:
 * `store.writeResults` in transactions of BATCH results, with the history service's fold taking every trace
 * into incidents and baselines inside the transaction, as `serve` does. The rows come from recorded real tool output (the replay
 * corpus, addresses varied), parsed and judged by the real analysis once per agent, then repeated with fresh
 * result ids: each agent traces all its targets once per round (15 minutes, as the default schedule), the
 * rounds ending now. Repeated rounds are what a real network stores, and what keeps incidents open.
 */
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { loadHistoryConfig } from '../../server/history/history-options.ts';
import { startHistory } from '../../server/history/history-service.ts';
import { buildResultRecord } from '../../server/ingest/build-record.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { openStore } from '../../server/store/open-store.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import type { ResultRecord } from '../../server/store/trace-store.ts';
import { loadReplayCorpus, variedTexts } from '../fixtures.ts';

const BATCH = 2000;
const PROGRESS_EVERY = 250_000;
const MINUTE_MS = 60_000;

/** US agent locations (declared, as volunteers configure them). */
const PLACES = [
  { lat: 40.71, lon: -74.01 },
  { lat: 41.88, lon: -87.63 },
  { lat: 37.77, lon: -122.42 },
  { lat: 32.78, lon: -96.8 },
  { lat: 47.61, lon: -122.33 },
  { lat: 33.75, lon: -84.39 },
  { lat: 39.74, lon: -104.99 },
  { lat: 25.76, lon: -80.19 },
  { lat: 42.36, lon: -71.06 },
  { lat: 34.05, lon: -118.24 },
  { lat: 38.91, lon: -77.04 },
  { lat: 44.98, lon: -93.27 },
];

export interface GenerateOptions {
  /** The SQLite store's directory; with `database`, only where serve's other files would go. */
  dataDir: string;
  /** A PostgreSQL URL of an empty database: the store is there instead. */
  database?: string;
  traces: number;
  /** Keep only the templates whose verdict is a detour (for the map's stores). */
  onlyDetours: boolean;
  agents: number;
  variants: number;
  roundMinutes: number;
}

export interface GeneratedStore {
  traces: number;
  detours: number;
  incidents: number;
  seconds: number;
  tracesPerSecond: number;
  /** How much time the traces cover. */
  spanHours: number;
  /** When the last trace was stored (ms): serve the store with its clock starting here. */
  asOf: number;
}

/** Every template record, judged from each agent's own declared position. */
async function templates(
  options: GenerateOptions,
  agents: { id: string; position: { lat: number; lon: number; source: 'declared' } }[],
): Promise<ResultRecord[][]> {
  const corpus = loadReplayCorpus();
  const outputs = variedTexts(
    corpus.outputs.map((o) => o.output),
    options.variants,
  );
  const analyzer = createAnalyzer();
  analyzer.preload();
  const fns = { parseTraces, analyze: analyzer.annotateAndJudge };
  const at = new Date().toISOString();
  return agents.map((agent) => {
    const records: ResultRecord[] = [];
    outputs.forEach((output, i) => {
      const o = corpus.outputs[i % corpus.outputs.length];
      if (!o) return;
      const message = {
        type: 'result' as const,
        resultId: 'template',
        taskId: null,
        target: o.target,
        engine: o.engine,
        ...(o.method ? { method: o.method } : {}),
        output,
        startedAt: at,
        durationMs: 4200,
      };
      const record = buildResultRecord(agent, message, at, fns);
      const [first] = record.traces;
      if (!first) return;
      if (options.onlyDetours && first.verdict.verdict !== 'detour') return;
      records.push(record);
    });
    return records;
  });
}

/** 0-11 from the target without its last address part (its network, roughly): every path starts "on". */
function phase(target: string): number {
  const network = target.slice(0, Math.max(target.lastIndexOf('.'), target.lastIndexOf(':')));
  let h = 0;
  for (let i = 0; i < network.length; i++) h = (h * 31 + network.charCodeAt(i)) >>> 0;
  return h % 12;
}

/** The template with its own id and start time (the tool's start time is what the store files it under). */
function instance(template: ResultRecord, n: number, startedAt: string): ResultRecord {
  return {
    ...template,
    resultId: `gen-${n.toString(36).padStart(8, '0')}`,
    startedAt,
    receivedAt: startedAt,
    traces: template.traces.map((t) => ({ ...t, trace: { ...t.trace, startedAt } })),
  };
}

export async function generateStore(options: GenerateOptions): Promise<GeneratedStore> {
  const store = await openStore({ dataDir: options.dataDir, database: options.database, create: true });
  const history = await startHistory({ store, ...loadHistoryConfig([], {}) });
  try {
    const agents: { id: string; position: { lat: number; lon: number; source: 'declared' } }[] = [];
    const at = new Date().toISOString();
    for (let i = 0; i < options.agents; i++) {
      const token = await store.createToken(`bench-agent-${i}`, hashToken(generateToken()), at);
      const place = PLACES[i % PLACES.length] ?? { lat: 40, lon: -100 };
      const location = { lat: place.lat + (i / PLACES.length) * 0.1, lon: place.lon };
      const agent = await store.recordHello({
        tokenId: token.id,
        name: `bench-agent-${i}`,
        location,
        engines: ['scamper', 'traceroute'],
        limits: { maxConcurrent: 4, maxPerMinute: 60 },
        agentVersion: 'bench',
        protocolVersion: 1,
        address: null,
        at,
      });
      agents.push({ id: agent.id, position: { ...location, source: 'declared' } });
    }
    const perAgent = await templates(options, agents);
    if (perAgent.every((t) => t.length === 0))
      throw new Error('no template trace (no detour in the corpus?)');
    const began = performance.now();
    const perRound = perAgent.reduce((n, t) => n + t.length, 0);
    const step = (options.roundMinutes * MINUTE_MS) / perRound;
    // Slots are (round, agent, target) in time order; a path that detours does so for 12 rounds, then is
    // not seen for 12 (longer than the default 2 h quiet period), so incidents open and close as in life.
    // The phase goes by the target's network: address variants of one recording share it, as incidents do.
    const templateAt = (slot: number): ResultRecord | null => {
      const list = perAgent[slot % perAgent.length] ?? [];
      const j = Math.floor(slot / perAgent.length) % Math.max(1, list.length);
      const template = list[j];
      if (!template) return null;
      const detour = template.traces[0]?.verdict.verdict === 'detour';
      const off = Math.floor((Math.floor(slot / perRound) + phase(template.target)) / 12) % 2 === 1;
      return detour && off && !options.onlyDetours ? null : template;
    };
    // First count the slots the traces take, so that the last one is stored as of now.
    const maxSlots = options.traces * 3 + perRound;
    let slots = 0;
    for (let found = 0; found < options.traces && slots < maxSlots; slots++) {
      if (templateAt(slots)) found++;
    }
    const start = Date.now() - slots * step;
    let written = 0;
    let batch: ResultRecord[] = [];
    for (let slot = 0; slot < slots; slot++) {
      const template = templateAt(slot);
      if (!template) continue;
      batch.push(instance(template, written, new Date(start + slot * step).toISOString()));
      written++;
      if (batch.length === BATCH) {
        await store.writeResults(batch);
        batch = [];
        // Large stores take minutes (10,000,000: most of an hour): say how far it is.
        if (written % PROGRESS_EVERY === 0) {
          const s = (performance.now() - began) / 1000;
          console.log(
            `   generating: ${written.toLocaleString('en-US')} of ${options.traces.toLocaleString('en-US')} traces, ${s.toFixed(0)} s (${Math.round(written / s).toLocaleString('en-US')}/s)`,
          );
        }
      }
    }
    if (batch.length > 0) await store.writeResults(batch);
    const seconds = (performance.now() - began) / 1000;
    const { traces, detours, incidents } = await store.historyCounts();
    return {
      traces,
      detours,
      incidents,
      seconds,
      tracesPerSecond: traces / seconds,
      spanHours: (slots * step) / 3_600_000,
      asOf: start + slots * step,
    };
  } finally {
    await history.close();
    await store.close();
  }
}
