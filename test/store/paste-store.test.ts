/**
 * Issue 13: a saved paste on both engines. savePaste (server/http/analyze-save.ts) writes through the store's
 * import write: origin `paste`, the saving key's name, the source position used, the import key naming its
 * trace; saving the same text and location again stores nothing and answers the same ids. A tracert without a
 * time is dated when saved.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { SourcePosition } from '../../protocol/annotated.ts';
import { pasteImportKey, savePaste } from '../../server/http/analyze-save.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { hashToken } from '../../server/store/tokens.ts';
import { createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';
import { AGENT_LOCATION, DETOUR_OUTPUT } from '../integration/coordinator-harness.ts';
import { pasted } from '../parse/paste-helpers.ts';

const engines = await storeEngines('saved pastes');
const analyzer = createWorldAnalyzer();
const GIVEN: SourcePosition = { ...AGENT_LOCATION, source: 'declared' };
const NOW = Date.parse('2026-03-02T12:00:00Z');

function paste(text: string, given: SourcePosition | null, tokenId: number) {
  const traces = parseTraces(text);
  return {
    text,
    given,
    traces,
    analyses: traces.map((t) => analyzer.annotateAndJudge(t, given)),
    tokenId,
    now: NOW,
  };
}

describeEngines(engines, (engine) => {
  let env: TestStore;
  let tokenId: number;
  beforeEach(async () => {
    env = await engine.open();
    tokenId = (
      await env.store.createToken('ops-alice', hashToken('dwt_paste-test'), new Date(NOW).toISOString(), {
        role: 'operator',
      })
    ).id;
  });
  afterEach(() => env.cleanup());

  it('stores a paste once, as origin paste, with who saved it and the position used', async () => {
    const first = await savePaste(env.store, paste(DETOUR_OUTPUT, GIVEN, tokenId));
    expect(first.newlyStored).toBe(1);
    expect(first.storedTraceIds).toHaveLength(1);
    const id = first.storedTraceIds[0] as number;
    const stored = await env.store.getTrace(id);
    expect(stored).toMatchObject({ origin: 'paste', agentId: null, savedBy: 'ops-alice' });
    const [row] = await env.query<{ source_lat: number; source_lon: number; saved_by: string }>(
      'SELECT source_lat, source_lon, saved_by FROM traces WHERE id = ?',
      [id],
    );
    expect(row).toEqual({
      source_lat: AGENT_LOCATION.lat,
      source_lon: AGENT_LOCATION.lon,
      saved_by: 'ops-alice',
    });

    const again = await savePaste(env.store, paste(DETOUR_OUTPUT, GIVEN, tokenId));
    expect(again).toEqual({ storedTraceIds: first.storedTraceIds, newlyStored: 0 });
    expect(await env.count("SELECT COUNT(*) FROM traces WHERE origin = 'paste'")).toBe(1);
    const key = pasteImportKey(DETOUR_OUTPUT, GIVEN, 0);
    expect(await env.store.importedTraceIds([key, 'paste-sha256:unknown:0'])).toEqual(new Map([[key, id]]));
  });

  it('a tracert that says no time is dated when it was saved', async () => {
    const text = pasted('tracert/azure-docs-expressroute-timeout.txt');
    const saved = await savePaste(env.store, paste(text, GIVEN, tokenId));
    const stored = await env.store.getTrace(saved.storedTraceIds[0] as number);
    expect(stored?.startedAt).toBe(new Date(NOW).toISOString());
    expect(stored?.late).toBe(false);
    expect(stored?.hops.map((h) => h.ip)).toContain('10.17.11.132');
  });
});
