/**
 * Issue 17: a trace's verdict is stored once, deflated (server/store/verdict-codec.ts), instead of as JSON
 * text beside the hop rows. Nothing a user reads may change: real traces (the M-Lab scamper and traceroute
 * outputs the bench replays) are written through the store on each engine; every read a user can make of
 * them (trace detail as the API and the evidence bundle read it, trace/detour pages, the detour export that
 * CSV/NDJSON/GeoJSON are made of, the map's detours and the evidence record) is taken; then the rows are put
 * back in the form the previous schema wrote (verdict_json holding the JSON text, verdict_z NULL, as the
 * migration leaves older rows) and every read is taken again: both must be the same, byte for byte.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadReplayCorpus, variedTexts } from '../../bench/fixtures.ts';
import { parseAgentMessage, type ResultMessage } from '../../protocol/messages.ts';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { buildResultRecord } from '../../server/ingest/build-record.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import type { Store } from '../../server/store/store.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import type { ResultRecord } from '../../server/store/trace-store.ts';
import { decodeVerdict, encodeVerdict } from '../../server/store/verdict-codec.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';

const engines = await storeEngines('verdicts stored once (issue 17)');
const AT = '2026-03-02T12:00:00.000Z';
const position = { lat: 40.71, lon: -74.01, source: 'declared' as const };

async function writeCorpus(store: Store): Promise<ResultRecord[]> {
  const corpus = loadReplayCorpus();
  const outputs = variedTexts(
    corpus.outputs.map((o) => o.output),
    2,
  );
  const analyzer = createAnalyzer();
  const token = await store.createToken('codec', hashToken(generateToken()), AT);
  const agent = await store.recordHello({
    tokenId: token.id,
    name: 'codec',
    location: position,
    engines: ['scamper', 'traceroute'],
    limits: { maxConcurrent: 1, maxPerMinute: 60 },
    agentVersion: 'test',
    protocolVersion: 1,
    address: null,
    at: AT,
  });
  const records = outputs.map((output, i) => {
    const o = corpus.outputs[i % corpus.outputs.length];
    if (!o) throw new Error('empty corpus');
    const [trace] = parseTraces(output, o.engine);
    const frame = JSON.stringify({
      type: 'result',
      resultId: `codec-${String(i).padStart(4, '0')}`,
      taskId: null,
      target: trace?.destination.address ?? trace?.destination.name ?? o.target,
      engine: o.engine,
      ...(o.method ? { method: o.method } : {}),
      output,
      startedAt: AT,
      durationMs: 4200,
    });
    return buildResultRecord({ id: agent.id, position }, parseAgentMessage(frame) as ResultMessage, AT, {
      parseTraces,
      analyze: analyzer.annotateAndJudge,
    });
  });
  expect(await store.writeResults(records)).toEqual(records.map(() => 'stored'));
  return records;
}

const noFilter = { since: null, until: null };
const page = { limit: 1000, after: null, now: Date.parse(AT), fingerprint: '' };

/** Every read a user can make of the stored traces, as JSON text (key order included). */
async function everyRead(store: Store, ids: readonly number[]): Promise<string[]> {
  const reads: unknown[] = [];
  for (const id of ids) {
    reads.push(await store.getTrace(id), await store.traceDetail(id), await store.traceEvidence(id));
    reads.push(await store.mapDetour(id));
  }
  reads.push(
    await store.tracePage({ ...noFilter, verdict: null, agent: null, target: null, origin: null }, page),
  );
  const detours = { ...noFilter, country: null, asn: null, agent: null, target: null, confidence: null };
  reads.push(await store.detourPage(detours, page));
  const exported: unknown[] = [];
  for await (const d of store.detourExport(detours)) exported.push(d);
  reads.push(exported);
  reads.push(await store.mapDetours({ ...detours, incident: null }, 1_000_000));
  reads.push(await store.mapDetoursByIds(ids));
  return reads.map((r) => JSON.stringify(r));
}

/** Rows as the schema before issue 17 kept them (env.query is read-only on SQLite: a connection of its own). */
async function toOldForm(env: TestStore, rows: { id: number; json: string }[]): Promise<void> {
  if (env.engine === 'SQLite') {
    const db = new Database(path.join(env.dir, 'data', DATABASE_FILE));
    try {
      const update = db.prepare('UPDATE traces SET verdict_json = ?, verdict_z = NULL WHERE id = ?');
      db.transaction(() => {
        for (const r of rows) update.run(r.json, r.id);
      })();
    } finally {
      db.close();
    }
    return;
  }
  for (const r of rows) {
    await env.query('UPDATE traces SET verdict_json = $1, verdict_z = NULL WHERE id = $2 RETURNING id', [
      r.json,
      r.id,
    ]);
  }
}

describeEngines(engines, (engine) => {
  let env: TestStore;
  beforeEach(async () => {
    env = await engine.open();
  });
  afterEach(() => env.cleanup());

  it('stores each verdict once, deflated, and reads the same as the JSON text the old schema kept', async () => {
    const records = await writeCorpus(env.store);
    const verdicts = records.flatMap((r) => r.traces.map((t) => JSON.stringify(t.verdict)));
    const rows = await env.query<{ id: number | string; verdict_json: string; verdict_z: Uint8Array | null }>(
      'SELECT id, verdict_json, verdict_z FROM traces ORDER BY id',
    );
    expect(rows).toHaveLength(verdicts.length);
    expect(verdicts.length).toBeGreaterThan(20);
    // Once: no JSON text; the bytes decode to the very text the verdict stringifies to, and are smaller.
    rows.forEach((row, i) => {
      expect(row.verdict_json).toBe('');
      expect(row.verdict_z).not.toBeNull();
      expect(JSON.stringify(decodeVerdict(row.verdict_json, row.verdict_z))).toBe(verdicts[i]);
      expect(row.verdict_z?.length ?? 0).toBeLessThan(Buffer.byteLength(verdicts[i] ?? ''));
    });
    const kinds = new Set(records.flatMap((r) => r.traces.map((t) => t.verdict.verdict)));
    expect(kinds.has('detour')).toBe(true);
    const ids = rows.map((r) => Number(r.id));
    const now = await everyRead(env.store, ids);

    // The previous schema's form: the JSON text in verdict_json, nothing in verdict_z.
    await toOldForm(
      env,
      rows.map((row, i) => ({ id: Number(row.id), json: verdicts[i] ?? '' })),
    );
    expect(
      await env.count("SELECT COUNT(*) FROM traces WHERE verdict_z IS NULL AND verdict_json <> ''"),
    ).toBe(rows.length);
    const before = await everyRead(env.store, ids);
    expect(now.length).toBe(before.length);
    for (const [i, read] of now.entries()) expect(read).toBe(before[i]);
    // Some reads carry the verdict (detours on the map and in the export): the comparison covered it.
    expect(now.some((r) => r.includes('"foreignHops"'))).toBe(true);
  });
});

it('an encoded verdict names its format, and an unknown one is refused with a coded error', () => {
  const [record] = loadReplayCorpus().outputs;
  const trace = record ? parseTraces(record.output, record.engine)[0] : undefined;
  if (!trace) throw new Error('no fixture trace');
  const { verdict } = createAnalyzer().annotateAndJudge(trace, position);
  const encoded = encodeVerdict(verdict);
  expect(JSON.stringify(decodeVerdict('', encoded))).toBe(JSON.stringify(verdict));
  expect(JSON.stringify(decodeVerdict(JSON.stringify(verdict), null))).toBe(JSON.stringify(verdict));
  const unknown = Buffer.from(encoded);
  unknown[0] = 99;
  expect(() => decodeVerdict('', unknown)).toThrow(/neither JSON text nor a known encoding/);
  expect(() => decodeVerdict('', null)).toThrow(/neither JSON text nor a known encoding/);
});
