import { fieldError, isInt, isName } from './field-checks.ts';

/**
 * Trace.meta as the parsers fill it. Keys are the tool's own field names (Atlas `msm_id`, scamper
 * `stop_reason`, mtr `psize`) so users can find them in the tool's documentation; facts a parser derives
 * are snake_case too (`mda`, `mlab_uuid`, `hops_max`, `variant`).
 */
export type TraceMeta = Record<string, string | number | boolean | null>;

/** Copies an optional unsigned integer field into meta, rejecting anything else the field holds. */
export function copyMetaInt(meta: TraceMeta, key: string, value: unknown, where: string, path: string): void {
  if (value === undefined) return;
  if (!isInt(value, 0, 0xffff_ffff)) throw fieldError(where, path, 'a non-negative integer', value);
  meta[key] = value;
}

/** Copies an optional short text field into meta. */
export function copyMetaText(
  meta: TraceMeta,
  key: string,
  value: unknown,
  where: string,
  path: string,
): void {
  if (value === undefined) return;
  if (!isName(value)) throw fieldError(where, path, 'a short text without control characters', value);
  meta[key] = value;
}
