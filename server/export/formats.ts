import type { DetourItem } from '../../protocol/history-api.ts';
import { csvLine } from './csv.ts';
import { DETOUR_COLUMNS } from './detour-columns.ts';
import { detourFeature } from './geojson.ts';

export type ExportFormat = 'csv' | 'json' | 'ndjson' | 'geojson';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'json', 'ndjson', 'geojson'];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  geojson: 'application/geo+json; charset=utf-8',
};

/** Chunks of about this many characters: few enough writes, small enough to keep memory flat. */
const CHUNK_CHARS = 64 * 1024;

async function* pieces(
  format: ExportFormat,
  items: Iterable<DetourItem> | AsyncIterable<DetourItem>,
): AsyncGenerator<string> {
  if (format === 'csv') {
    yield csvLine(DETOUR_COLUMNS.map((c) => c.name));
    for await (const d of items) yield csvLine(DETOUR_COLUMNS.map((c) => c.value(d)));
    return;
  }
  if (format === 'ndjson') {
    for await (const d of items) yield `${JSON.stringify(d)}\n`;
    return;
  }
  const [head, tail, item] =
    format === 'json'
      ? ['[\n', '\n]\n', (d: DetourItem) => JSON.stringify(d)]
      : [
          '{"type":"FeatureCollection","features":[\n',
          '\n]}\n',
          (d: DetourItem) => JSON.stringify(detourFeature(d)),
        ];
  yield head;
  let first = true;
  for await (const d of items) {
    yield `${first ? '' : ',\n'}${item(d)}`;
    first = false;
  }
  yield tail;
}

/**
 * The export as a lazy sequence of text chunks: it reads a row only when the consumer asks for the next
 * chunk, so a slow client holds back the store's reads instead of filling memory.
 */
export async function* exportChunks(
  format: ExportFormat,
  items: Iterable<DetourItem> | AsyncIterable<DetourItem>,
): AsyncGenerator<string> {
  let chunk = '';
  for await (const piece of pieces(format, items)) {
    chunk += piece;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}
