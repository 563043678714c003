/**
 * WinMTR's text export ("Copy Text to clipboard" / "Export TEXT", WinMTR 0.9x):
 *   |------------------------------------------------------------------------------------------|
 *   |                                      WinMTR statistics                                   |
 *   |                       Host              -   %  | Sent | Recv | Best | Avrg | Wrst | Last |
 *   |------------------------------------------------|------|------|------|------|------|------|
 *   |                             192.0.2.1 -    0 |   10 |   10 |    0 |    0 |    1 |    0 |
 *   |                   No response from host -  100 |   10 |    0 |    0 |    0 |    0 |    0 |
 *   |________________________________________________|______|______|______|______|______|______|
 * One row per TTL from 1, in order (the export prints no hop numbers). A summary like mtr's: Best is each
 * hop's RTT and the figures go to `hop.stats`. Times are whole milliseconds; a printed 0 is a reply under
 * 1 ms and reads as 1 ms, the bound. Hosts are names when WinMTR resolved them: those cannot be located.
 */
import type { Hop, Trace } from '../../protocol/trace.ts';
import { parseError } from './field-checks.ts';
import { forEachLine } from './input-text.ts';
import { MAX_TTL, type ParseLimits } from './limits.ts';
import { finishSummary, printsZero, readHost, rowStats, summaryHop } from './mtr-summary.ts';
import {
  emptyTrace,
  INTERRUPTED,
  lineTooLong,
  noiseOf,
  noiseWarning,
  quoted,
  Warnings,
  withoutInterrupt,
} from './paste-tolerance.ts';

const TITLE = /^\s*\|\s*WinMTR statistics\s*\|\s*$/;
const HEADER =
  /^\s*\|\s*Host\s+-\s+%\s+\|\s*Sent\s*\|\s*Recv\s*\|\s*Best\s*\|\s*Avrg\s*\|\s*Wrst\s*\|\s*Last\s*\|\s*$/;
const RULE = /^\s*\|[-_|]+\|?\s*$/;
const ROW =
  /^\s*\|\s*(.*?)\s+-\s+(\d{1,3})\s*\|\s*(\d{1,9})\s*\|\s*(\d{1,9})\s*\|\s*(\d{1,9})\s*\|\s*(\d{1,9})\s*\|\s*(\d{1,9})\s*\|\s*(\d{1,9})\s*\|\s*$/;
const NO_RESPONSE = 'No response from host';

export function parseWinMtr(text: string, limits: ParseLimits): Trace[] {
  const warnings = new Warnings();
  const traces: Trace[] = [];
  let hops: Hop[] | null = null;
  let sawTitle = false;
  let zeroSeen = false;
  let rowLost = false;

  const finish = () => {
    if (hops === null || hops.length === 0) return;
    const trace = emptyTrace('mtr', 'icmp', 'winmtr');
    trace.hops = hops;
    warnings.flushInto(trace);
    finishSummary(trace, {
      what: 'the WinMTR export',
      zeroReadAs: zeroSeen ? 1 : null,
      namesHint: "untick WinMTR's Resolve names",
      lastRowLost: rowLost,
    });
    traces.push(trace);
    hops = null;
    zeroSeen = false;
  };

  forEachLine(text, (raw, lineNumber) => {
    if (raw.length > limits.maxTextLineChars) throw lineTooLong(lineNumber, raw.length, limits);
    const { line, interrupted } = withoutInterrupt(raw);
    if (interrupted) warnings.line(lineNumber, INTERRUPTED);
    if (line.trim() === '') return;
    if (TITLE.test(line)) {
      finish();
      sawTitle = true;
      return;
    }
    if (HEADER.test(line)) {
      finish();
      hops = [];
      return;
    }
    if (RULE.test(line)) return;
    const row = ROW.exec(line);
    if (row && hops !== null) {
      const current = hops as Hop[];
      const ttl = current.length + 1;
      if (ttl > MAX_TTL) {
        warnings.line(lineNumber, `skipped ${quoted(line)}: more rows than TTLs`);
        return;
      }
      const [hostText, loss, sent, recv, best, avg, worst, last] = row.slice(1) as string[];
      const figures = new Map<string, number>([
        ['Loss%', Number(loss)],
        ['Snt', Number(sent)],
        ['Rcv', Number(recv)],
        ['Best', Number(best)],
        ['Avg', Number(avg)],
        ['Wrst', Number(worst)],
        ['Last', Number(last)],
      ]);
      rowLost = false;
      const stats = rowStats(figures, 1);
      if (printsZero(figures)) zeroSeen = true;
      const host = hostText === NO_RESPONSE ? null : readHost(hostText as string);
      if (typeof stats === 'string' || (host === null && hostText !== NO_RESPONSE)) {
        // A row that cannot be read still held a TTL: keep its place so later rows keep theirs.
        current.push({ ttl, replies: [{ address: null, rttMs: null }] });
        rowLost = true;
        warnings.line(
          lineNumber,
          `${quoted(line)} could not be read (${typeof stats === 'string' ? stats : 'not a host'}): TTL ${ttl} kept as unanswered`,
        );
        return;
      }
      // WinMTR has no StDev column.
      current.push(summaryHop(ttl, host, stats));
      return;
    }
    const noise = noiseOf(line);
    if (noise !== null) warnings.line(lineNumber, noiseWarning(noise, line));
    else if (/WinMTR v[\d.]+/.test(line) && hops !== null) return;
    else {
      // A row the copy cut off: its TTL's place is lost, and with it which row was last.
      if (hops !== null && /^\s*\|/.test(line)) rowLost = true;
      warnings.line(lineNumber, `skipped ${quoted(line)}: not a WinMTR statistics row`);
    }
  });
  finish();
  warnings.flushLeftover(traces);
  if (traces.length === 0) {
    throw parseError(
      'WinMTR',
      `no WinMTR statistics table found (${sawTitle ? 'a title but no "| Host - % | Sent | Recv | ..." header and rows' : 'no "| WinMTR statistics |" title or "| Host - % | Sent | ..." header'})`,
    );
  }
  return traces;
}
