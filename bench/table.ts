/** The printed table: one line per figure, with its target and PASS/MISS where the issue sets one. */

export type Status = 'PASS' | 'MISS' | 'info' | 'skipped';

export interface Row {
  benchmark: string;
  figure: string;
  value: string;
  target: string;
  status: Status;
  note?: string;
}

/** A row for a figure with a target: PASS when `ok`, MISS otherwise. */
export function checked(
  benchmark: string,
  figure: string,
  value: string,
  target: string,
  ok: boolean,
  note?: string,
): Row {
  return { benchmark, figure, value, target, status: ok ? 'PASS' : 'MISS', ...(note ? { note } : {}) };
}

export function info(benchmark: string, figure: string, value: string, note?: string): Row {
  return { benchmark, figure, value, target: '', status: 'info', ...(note ? { note } : {}) };
}

export function skipped(benchmark: string, why: string): Row {
  return { benchmark, figure: '', value: '', target: '', status: 'skipped', note: why };
}

export const fmt = {
  rate: (x: number) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')}/s` : 'n/a'),
  ratio: (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a'),
  ms: (x: number) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms` : 'n/a'),
  mib: (x: number) => (Number.isFinite(x) ? `${Math.round(x)} MiB` : 'n/a'),
  pct: (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a'),
  count: (x: number) => Math.round(x).toLocaleString('en-US'),
};

export function renderTable(rows: readonly Row[]): string {
  const header = ['benchmark', 'figure', 'value', 'target', 'status'];
  const cells = rows.map((r) => [r.benchmark, r.figure, r.value, r.target, r.status]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => (c === 2 ? v.padStart(widths[c] ?? 0) : v.padEnd(widths[c] ?? 0)))
      .join(' | ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-')];
  for (const [i, r] of cells.entries()) {
    out.push(line(r));
    const note = rows[i]?.note;
    if (note) out.push(`    ${note}`);
  }
  return out.join('\n');
}
