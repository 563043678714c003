/**
 * How `analyze` shows a verdict: one JSON object per trace (the contract other tools read) or a table a person
 * reads. Pure: a trace and its verdict in, text out.
 */
import type { Trace } from '../protocol/trace.ts';
import type { Verdict } from '../protocol/verdict.ts';
import { printable, tableLines } from './text-table.ts';

/** The NDJSON record: the verdict plus enough of the trace to tell which measurement it judges. */
export function verdictRecord(trace: Trace, verdict: Verdict, input: string, where: string) {
  return {
    input,
    where,
    tool: trace.tool,
    method: trace.method,
    startedAt: trace.startedAt,
    ...(trace.meta === undefined ? {} : { meta: trace.meta }),
    ...verdict,
    // What the parser skipped or chose (pasted text): with the verdict, never silently.
    ...(trace.warnings === undefined ? {} : { warnings: trace.warnings }),
  };
}

function cell(value: string | number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(digits);
  return printable(value);
}

export function verdictTable(trace: Trace, verdict: Verdict, input: string, where: string): string {
  const headline =
    verdict.verdict === 'detour' ? `DETOUR (${verdict.confidence})` : verdict.verdict.toUpperCase();
  const path = verdict.countries.length > 0 ? verdict.countries.join(' > ') : '-';
  const out = [
    `${input} ${where}: ${trace.tool} ${trace.method} ${cell(verdict.source.ip)} (${cell(verdict.source.country)}) -> ` +
      `${cell(verdict.destination.ip)} (${cell(verdict.destination.country)})${trace.startedAt ? ` at ${trace.startedAt}` : ''}`,
    `verdict: ${headline}   countries: ${path}${verdict.extraKm === null ? '' : `   extra distance: ${Math.round(verdict.extraKm)} km`}`,
    `why: ${printable(verdict.reason)}`,
    // An implausible trace was not judged: its problems stand where the hop readings would.
    ...(verdict.problems ?? []).map((p) => `problem ${p.code}: ${printable(p.message)}`),
    '',
    ...tableLines(
      ['TTL', 'address', 'name', 'country', 'city', 'ASN', 'organisation', 'RTT ms', 'needs ms', 'reading'],
      verdict.hops.map((h) => [
        String(h.ttl),
        cell(h.ip),
        cell(h.name),
        h.precision === 'country' ? `${cell(h.country)}~` : cell(h.country),
        cell(h.city),
        h.asn === null ? '-' : `AS${h.asn}`,
        cell(h.org).slice(0, 32),
        cell(h.rttMs, 2),
        cell(h.minRttMs, 1),
        h.status,
      ]),
    ),
  ];
  for (const r of verdict.refutedHops) {
    const by =
      r.reason === 'later-reply'
        ? `the reply at TTL ${r.refutedByTtl} (${r.rttMs.toFixed(2)} ms)`
        : `its ${r.rttMs.toFixed(2)} ms`;
    out.push(
      `refuted: TTL ${r.ttl} ${r.ip}: the database says ${cell(r.claimedCountry)}${r.claimedCity ? ` (${printable(r.claimedCity)})` : ''}, ` +
        `${Math.round(r.claimedKm)} km away; ${by} allows at most ${Math.round(r.maxKm)} km`,
    );
  }
  if (verdict.hops.some((h) => h.precision === 'country')) {
    out.push("(~ after a country: the database places it only at the country's centroid)");
  }
  for (const warning of trace.warnings ?? []) out.push(`warning: ${printable(warning)}`);
  out.push('');
  return out.join('\n');
}
