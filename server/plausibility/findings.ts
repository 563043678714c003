import type { PlausibilityCode, PlausibilityProblem } from '../../protocol/plausibility.ts';

/** What the rules report into: problems (the first of each code kept, the rest counted) and duplicates. */
export class Findings {
  private readonly first = new Map<PlausibilityCode, PlausibilityProblem>();
  private readonly more = new Map<PlausibilityCode, number>();
  /** Further answers from the same address to one probe: real (duplicated packets), so counted, not refused. */
  duplicates = 0;

  report(code: PlausibilityCode, ttl: number | null, message: string): void {
    if (this.first.has(code)) {
      this.more.set(code, (this.more.get(code) ?? 0) + 1);
      return;
    }
    this.first.set(code, { code, ttl: ttl !== null && Number.isFinite(ttl) ? ttl : null, message });
  }

  /** One problem per code, so a trace of 18,000 bad replies gives a short list that still says how many. */
  problems(): PlausibilityProblem[] {
    return [...this.first.values()].map((p) => {
      const more = this.more.get(p.code) ?? 0;
      return more === 0 ? p : { ...p, message: `${p.message} (and ${more} more like it)` };
    });
  }
}

/** A value from the trace inside a message: bounded, since the trace may come from anyone. */
export function shown(value: unknown): string {
  const text = String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
