/**
 * The work of `detourwatch analyze` on one piece of input, rendered: the same function runs in the command's
 * own thread and in its worker threads, so the output is the same text either way.
 */
import type { SourcePosition } from '../protocol/annotated.ts';
import { describeError } from '../protocol/errors.ts';
import type { Analyzer, AnalyzerOptions } from '../server/analyze/pipeline.ts';
import type { TraceFormat } from '../server/parse/index.ts';
import { lineFormatOf, lineItems, type TraceItem } from '../server/parse/read-traces.ts';
import { verdictRecord, verdictTable } from './verdict-output.ts';

/** Everything a thread needs to analyse like the command does (plain data: it crosses to workers). */
export interface AnalyzeSettings {
  format: TraceFormat;
  sourcePosition: SourcePosition | null;
  json: boolean;
  analyzer: AnalyzerOptions;
}

/** NDJSON lines of one input, not yet parsed. */
export interface LineBatch {
  label: string;
  firstLineNumber: number;
  lines: string[];
}

/**
 * What a piece of input gives: standard output (text, or UTF-8 bytes from a worker, which moves them without a
 * copy), one standard error line per problem, and how many traces were judged.
 */
export interface BatchOutput {
  text: string | Uint8Array;
  problems: string[];
  analysed: number;
}

export interface TextOutput extends BatchOutput {
  text: string;
}

export function problemLine(label: string, message: string): string {
  return `detourwatch analyze: ${label}: ${message}\n`;
}

export function renderItems(
  items: Iterable<TraceItem>,
  label: string,
  analyzer: Analyzer,
  settings: AnalyzeSettings,
): TextOutput {
  let text = '';
  const problems: string[] = [];
  let analysed = 0;
  for (const item of items) {
    if ('error' in item) {
      problems.push(problemLine(`${label} ${item.where}`, describeError(item.error)));
      continue;
    }
    const verdict = analyzer.analyze(item.trace, settings.sourcePosition);
    analysed++;
    text += settings.json
      ? `${JSON.stringify(verdictRecord(item.trace, verdict, label, item.where))}\n`
      : `${verdictTable(item.trace, verdict, label, item.where)}\n`;
  }
  return { text, problems, analysed };
}

export function analyzeLines(batch: LineBatch, analyzer: Analyzer, settings: AnalyzeSettings): TextOutput {
  const format = lineFormatOf(settings.format);
  const items: TraceItem[] = [];
  for (let i = 0; i < batch.lines.length; i++) {
    items.push(...lineItems(batch.lines[i] as string, batch.firstLineNumber + i, format));
  }
  return renderItems(items, batch.label, analyzer, settings);
}
