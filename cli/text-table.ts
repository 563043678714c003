import type { DetourItem, IncidentItem } from '../protocol/history-api.ts';

/** Untrusted text (names, organisations, reasons) without terminal control characters, before printing it. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Untrusted text made printable and bounded for a table cell. */
export function cellText(text: string | null, max = 40): string {
  if (text === null) return '-';
  const clean = printable(text);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** The lines of a table: columns padded to their widest cell, the last column not padded. */
export function tableLines(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** The table as text, one line each, ending in a newline. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return `${tableLines(headers, rows).join('\n')}\n`;
}

const minute = (iso: string | null): string =>
  iso === null ? '-' : `${iso.slice(0, 16).replace('T', ' ')}Z`;

export function via(countries: readonly string[], asns: readonly number[]): string {
  return [...countries, ...asns.map((a) => `AS${a}`)].join(' ');
}

export function detourTable(items: readonly DetourItem[]): string {
  return renderTable(
    ['ID', 'STARTED', 'FROM', 'TO', 'CONFIDENCE', 'VANTAGE', 'VIA', 'EXTRA KM', 'INCIDENT'],
    items.map((d) => [
      String(d.id),
      // A late result (serve --late-after) is judged like any other; the mark says it arrived long after.
      d.late ? `${minute(d.startedAt)} late` : minute(d.startedAt),
      cellText(
        d.agentName ??
          d.agentId ??
          (d.origin !== 'import'
            ? null
            : d.probeId !== undefined && d.probeId !== null
              ? `Atlas probe ${d.probeId}`
              : `import ${d.sourceIp ?? ''}`.trim()),
        24,
      ),
      cellText(d.destinationName ?? d.destinationIp, 32),
      d.confidence,
      // A contradicted vantage's detour is listed, never counted (no incident); imports have none to check.
      d.vantage ?? '-',
      via(d.foreignCountries, d.foreignAsns),
      d.extraKm === null ? '-' : String(Math.round(d.extraKm)),
      d.incidentId === null ? '-' : `#${d.incidentId}`,
    ]),
  );
}

export function incidentTable(items: readonly IncidentItem[]): string {
  return renderTable(
    [
      'ID',
      'STATE',
      'WITNESSES',
      'FIRST SEEN',
      'LAST SEEN',
      'TRACES',
      'FROM',
      'TO PREFIX',
      'VIA',
      'CLEAR SINCE',
    ],
    items.map((i) => [
      `#${i.id}`,
      i.state,
      i.corroborated ? String(i.witnesses) : 'single witness',
      minute(i.firstSeen),
      minute(i.lastSeen),
      String(i.traceCount),
      cellText(i.subject, 32),
      i.destinationPrefix,
      via(i.countries, i.asns),
      minute(i.lastClearAt),
    ]),
  );
}
