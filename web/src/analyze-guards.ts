import type { AnalyzeResponse } from '../../protocol/map-api.ts';
import { CONFIDENCES } from '../../protocol/verdict.ts';
import { detailProblem } from './api-guards.ts';

/** Shape check of POST /api/v1/analyze's answer: the first offending field, or null when it fits. */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string');

function pastedProblem(v: unknown, field: string): string | null {
  const detail = detailProblem(v);
  if (detail) return `${field}.${detail}`;
  const t = v as Json;
  if (t.pasted !== true) return `${field}.pasted`;
  if (typeof t.verdict !== 'string') return `${field}.verdict`;
  if (t.verdictConfidence !== null && !(CONFIDENCES as readonly unknown[]).includes(t.verdictConfidence)) {
    return `${field}.verdictConfidence`;
  }
  if (typeof t.reason !== 'string') return `${field}.reason`;
  if (typeof t.sourceLocated !== 'boolean') return `${field}.sourceLocated`;
  if (!isStrings(t.warnings)) return `${field}.warnings`;
  if (!isStrings(t.problems)) return `${field}.problems`;
  return null;
}

export function analyzeProblem(v: unknown): string | null {
  if (!isObject(v)) return 'answer';
  if (typeof v.stored !== 'boolean') return 'stored';
  if (v.stored) {
    const ids = v.storedTraceIds;
    if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && id > 0))
      return 'storedTraceIds';
    if (!Number.isSafeInteger(v.newlyStored)) return 'newlyStored';
  }
  if (typeof v.needsSourceLocation !== 'boolean') return 'needsSourceLocation';
  if (!Array.isArray(v.traces)) return 'traces';
  for (let i = 0; i < v.traces.length; i++) {
    const problem = pastedProblem(v.traces[i], `traces[${i}]`);
    if (problem) return problem;
  }
  return null;
}

export function readAnalyzeResponse(v: unknown): AnalyzeResponse {
  const problem = analyzeProblem(v);
  if (problem) throw new Error(`the coordinator's analysis is malformed (${problem})`);
  return v as AnalyzeResponse;
}
