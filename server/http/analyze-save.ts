import { createHash } from 'node:crypto';
import type { SourcePosition } from '../../protocol/annotated.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Analysis } from '../analyze/pipeline.ts';
import { pathAsns } from '../incidents/observation.ts';
import { DEFAULT_LATE_AFTER_MS, isLate } from '../ingest/late.ts';
import type { AgentStore } from '../store/agent-store.ts';
import type { ImportRecord, TraceStore } from '../store/trace-store.ts';

/** What saving a paste needs of the store: the key's name, and the import write that dedupes by key. */
export type PasteStore = Pick<AgentStore, 'listTokens'> &
  Pick<TraceStore, 'writeImported' | 'importedTraceIds'>;

/**
 * What makes a saved paste the same paste when it is saved again: its text and the source location it was
 * judged from (none, or the one given), and its place among the traces the text holds. Who saves it does not
 * count: a second operator saving the same text stores nothing new.
 */
export function pasteImportKey(text: string, given: SourcePosition | null, index: number): string {
  const where = given === null ? '' : `${given.lat},${given.lon}`;
  const digest = createHash('sha256').update(where).update('\n').update(text).digest('hex');
  return `paste-sha256:${digest}:${index}`;
}

export interface PasteToSave {
  text: string;
  given: SourcePosition | null;
  traces: readonly Trace[];
  /** Each trace's analysis, in order (as the answer drew them). */
  analyses: readonly Analysis[];
  /** The operator key that saves it. */
  tokenId: number | null;
  now: number;
}

export interface SavedPaste {
  /** The stored traces' ids, in the order of the paste's traces. */
  storedTraceIds: number[];
  /** How many this save stored; 0 when the same text and location were saved before. */
  newlyStored: number;
}

/**
 * Stores a judged paste as origin `paste`, with the saving key's name and the source location the physics used,
 * through the import write (one transaction with the incident fold, keys deduplicated inside it): it then appears
 * in history, detours and incidents as an import does. A trace that does not say when it ran (tracert, mtr
 * report) is dated when it was saved; one that does keeps its own time and is marked late when that is old.
 */
export async function savePaste(store: PasteStore, paste: PasteToSave): Promise<SavedPaste> {
  const savedBy = (await store.listTokens()).find((t) => t.id === paste.tokenId)?.name ?? null;
  const savedAt = new Date(paste.now).toISOString();
  const records: ImportRecord[] = paste.traces.map((trace, i) => {
    const { annotated, verdict } = paste.analyses[i] as Analysis;
    const position = annotated.sourcePosition;
    const own = Date.parse(trace.startedAt ?? '');
    return {
      origin: 'paste',
      agentId: null,
      trace: Number.isNaN(own) ? { ...trace, startedAt: savedAt } : trace,
      verdict,
      sourcePosition: position === null ? null : { lat: position.lat, lon: position.lon },
      pathAsns: pathAsns(annotated),
      importKey: pasteImportKey(paste.text, paste.given, i),
      late: !Number.isNaN(own) && isLate(own, paste.now, DEFAULT_LATE_AFTER_MS),
      savedBy,
    };
  });
  const newlyStored = await store.writeImported(records);
  const ids = await store.importedTraceIds(records.map((r) => r.importKey));
  return {
    storedTraceIds: records.map((r) => ids.get(r.importKey) ?? 0).filter((id) => id > 0),
    newlyStored,
  };
}
