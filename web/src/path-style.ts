import type { Evidence } from './path-geometry.ts';

/** How each kind of evidence looks; the legend reads the same table, so map and legend cannot disagree. */
export interface EvidenceStyle {
  label: string;
  color: string;
  /** Line width of the many paths; the selected path is drawn wider. */
  weight: number;
  opacity: number;
}

export const EVIDENCE_STYLE: Record<Evidence, EvidenceStyle> = {
  domestic: { label: 'Domestic leg', color: '#2f6db5', weight: 1.2, opacity: 0.3 },
  'foreign-probable': {
    label: 'Abroad, probable (database, not contradicted)',
    color: '#e08a00',
    weight: 1.6,
    opacity: 0.55,
  },
  'foreign-confirmed': {
    label: 'Abroad, confirmed (RTTs agree)',
    color: '#c81e2b',
    weight: 1.8,
    opacity: 0.65,
  },
};

/** Dashes mark legs to a hop known only to its country: the line's end is not a place. */
export const APPROXIMATE_DASH = '5 5';

export const REFUTED_STYLE = { label: 'Refuted database claim', color: '#7b4fa0' } as const;

/** Drawing order: domestic underneath, confirmed on top. */
export const EVIDENCE_ORDER: readonly Evidence[] = ['domestic', 'foreign-probable', 'foreign-confirmed'];
