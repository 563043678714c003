import type { ImportProgress } from '../server/import/atlas-import.ts';

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/**
 * One line of an import's progress for a terminal: a bar when the input's size is known (a file), the bytes
 * read otherwise (stdin), then the counts. `width` is the bar's width in characters.
 */
export function progressLine(p: ImportProgress, totalBytes: number | null, width = 30): string {
  const counts = `${p.values} results, ${p.imported} new, ${p.duplicates} already stored, ${p.failed} failed`;
  if (totalBytes === null || totalBytes <= 0) return `${size(p.bytes)} read  ${counts}`;
  const share = Math.min(1, p.bytes / totalBytes);
  const filled = Math.round(share * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const pct = `${Math.floor(share * 100)}`.padStart(3);
  return `[${bar}] ${pct}% ${size(p.bytes)}/${size(totalBytes)}  ${counts}`;
}
