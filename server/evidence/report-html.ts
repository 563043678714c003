/**
 * The bundle's HTML report (pure): one self-contained page, inline CSS, no script, a Content-Security-Policy
 * that forbids fetching anything, and a static SVG map: it opens offline in any browser. Every text that
 * came from outside (tool output, reverse names, organisations, agent names) is escaped.
 */
import type { Reply } from '../../protocol/trace.ts';
import type { HopReading, RefutedHop } from '../../protocol/verdict.ts';
import type { DocumentBody, HopEvidence, TraceEvidence } from './bundle-document.ts';
import { reportRoutes } from './report-routes.ts';
import { escapeXml as esc, fitView, KIND_COLOURS, mapSvg, type Ring, routeExtent } from './svg-map.ts';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111827;margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;width:100%}th,td{border:1px solid #e5e7eb;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}pre{background:#f9fafb;border:1px solid #e5e7eb;padding:8px;overflow:auto;white-space:pre}
.meta td:first-child{width:220px;color:#4b5563}.verdict{font-weight:600}.detour{color:#b91c1c}.domestic{color:#1d4ed8}
.s-foreign-confirmed{color:#b91c1c;font-weight:600}.s-foreign-probable{color:#c2410c;font-weight:600}.s-refuted{color:#6b7280;text-decoration:line-through}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:14px;height:4px;vertical-align:middle;margin-right:4px}
.small{color:#4b5563;font-size:12px}td.r{white-space:nowrap}svg{max-width:100%;height:auto;border:1px solid #e5e7eb}
section.trace{border-top:2px solid #e5e7eb;margin-top:24px}
`;

const text = (v: string | number | null | undefined): string =>
  v === null || v === undefined ? '-' : esc(String(v));
const num = (v: number | null | undefined, places = 1): string =>
  v === null || v === undefined ? '-' : esc(v.toFixed(places));
/** An RTT as the tool printed it (at most 3 decimals, no padding). */
const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? '-' : esc(String(Math.round(v * 1000) / 1000));
const row = (cells: string[]): string => `<tr>${cells.join('')}</tr>`;
const td = (html: string, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;
const th = (labels: string[]): string => `<tr>${labels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr>`;
const meta = (pairs: [string, string][]): string =>
  `<table class="meta">${pairs.map(([k, v]) => row([td(esc(k)), td(v)])).join('')}</table>`;

function replyText(r: Reply): string {
  const who = r.address ?? (r.name ? `(${r.name})` : '*');
  const rtt = r.rttMs === null ? '' : ` ${r.rttMs} ms`;
  const flag = r.rawFlag ?? r.flag;
  return `${who}${rtt}${flag ? ` ${flag}` : ''}`;
}

function repliesCell(hop: HopEvidence | undefined, t: TraceEvidence, ttl: number): string {
  if (hop?.replies) {
    return hop.replies.length === 0
      ? '<span class="small">none printed</span>'
      : hop.replies.map((r) => esc(replyText(r))).join('<br>');
  }
  const stored = t.storedHops.filter((h) => h.ttl === ttl);
  if (stored.length === 0) return '-';
  return stored
    .map((h) => esc(`${h.ip ?? '*'}${h.rttMs === null ? '' : ` ${h.rttMs} ms`} (${h.replies} repl.)`))
    .join('<br>');
}

function placementCell(h: HopReading): string {
  const parts: string[] = [];
  if (h.database) parts.push(`database ${esc(h.database)}`);
  const p = h.placement;
  if (p) {
    const by = [
      p.source,
      p.hostname ? `name ${p.hostname}` : null,
      p.rule ? `rule ${p.rule}` : null,
      p.token ? `token ${p.token}` : null,
    ]
      .filter((x) => x !== null)
      .join(', ');
    parts.push(`placed by ${esc(by)}: ${esc(p.reason)}`);
    for (const r of p.rejected) {
      const place = [r.city, r.country].filter((x) => x !== null).join(', ');
      parts.push(
        `<span class="small">not ${esc(r.source)}${place ? ` (${esc(place)})` : ''}: ${esc(r.why)}</span>`,
      );
    }
  }
  return parts.length === 0 ? '-' : parts.join('<br>');
}

function hopTable(t: TraceEvidence): string {
  const readings = new Map(t.verdict.hops.map((h) => [h.ttl, h]));
  const byTtl = new Map(t.hops.map((h) => [h.ttl, h]));
  const ttls = [...new Set([...readings.keys(), ...byTtl.keys()])].sort((a, b) => a - b);
  const rows = ttls.map((ttl) => {
    const h = readings.get(ttl);
    const e = byTtl.get(ttl);
    const phys = e?.physics ?? null;
    const place = h ? [h.city, h.country].filter((x) => x !== null).join(', ') : '';
    return row([
      td(String(ttl), 'n'),
      td(repliesCell(e, t, ttl), 'r'),
      td(h ? `${text(h.ip)}${h.name ? `<br><span class="small">${esc(h.name)}</span>` : ''}` : '-'),
      td(h ? `<span class="s-${esc(h.status)}">${esc(h.status)}</span>` : '-'),
      td(
        h
          ? `${text(place || null)}${h.precision ? ` <span class="small">(${esc(h.precision)})</span>` : ''}`
          : '-',
      ),
      td(
        h
          ? `${h.asn === null ? '-' : `AS${h.asn}`}${h.org ? `<br><span class="small">${esc(h.org)}</span>` : ''}`
          : '-',
      ),
      td(h ? placementCell(h) : '-'),
      td(num(phys?.distanceKm, 0), 'n'),
      td(ms(phys?.rttMs), 'n'),
      td(num(phys?.boundKm, 0), 'n'),
      td(num(phys?.neededRttMs, 1), 'n'),
      td(phys?.ownRttAllows === null || phys === null ? '-' : phys.ownRttAllows ? 'yes' : '<b>no</b>'),
    ]);
  });
  return `<table>${th(['TTL', 'replies (RTT)', 'address', 'reading', 'claimed place', 'ASN', 'placement and provenance', 'distance km', 'lowest RTT ms', 'bound km', 'needed RTT ms', 'own RTT allows'])}${rows.join('')}</table>`;
}

function refutedTable(refuted: readonly RefutedHop[]): string {
  if (refuted.length === 0) return '';
  const rows = refuted.map((r) =>
    row([
      td(String(r.ttl), 'n'),
      td(esc(r.ip)),
      td(text([r.claimedCity, r.claimedCountry].filter((x) => x !== null).join(', ') || null)),
      td(ms(r.rttMs), 'n'),
      td(num(r.maxKm, 0), 'n'),
      td(num(r.claimedKm, 0), 'n'),
      td(
        `${esc(r.reason)}${r.refutedByTtl === undefined ? '' : ` (by TTL ${r.refutedByTtl})`}${r.evidence ? `<br><span class="small">${esc(r.evidence)}</span>` : ''}`,
      ),
    ]),
  );
  return `<h3>Refuted claims: the database says one place, the RTT says no</h3><table>${th(['TTL', 'address', 'claimed', 'RTT ms', 'at most km', 'claim needs km', 'why'])}${rows.join('')}</table>`;
}

function rawSection(t: TraceEvidence): string {
  const raw = t.raw;
  if (raw.kind !== 'agent-output') return `<h3>Raw output</h3><p>${esc(raw.why)}.</p>`;
  return [
    '<h3>Raw output, exactly as the agent sent it</h3>',
    meta([
      ['engine', esc(raw.engine)],
      ['result', `${esc(raw.resultId)} (task ${text(raw.taskId)}, target ${esc(raw.target)})`],
      ['started / received', `${esc(raw.startedAt)} / ${esc(raw.receivedAt)} (${num(raw.durationMs, 0)} ms)`],
      ['SHA-256 of the output', `<code>${esc(raw.sha256)}</code>`],
      ...(raw.ingestError ? ([['ingest noted', esc(raw.ingestError)]] as [string, string][]) : []),
    ]),
    `<pre>${esc(raw.output)}</pre>`,
  ].join('\n');
}

function traceSection(t: TraceEvidence): string {
  const v = t.verdict;
  const verdict = `${v.verdict}${v.confidence ? ` (${v.confidence})` : ''}`;
  return [
    `<section class="trace" id="trace-${t.id}">`,
    `<h2>Trace #${t.id}: ${text(t.source.ip ?? t.agentId)} &rarr; ${text(t.destination.name ?? t.destination.ip)}</h2>`,
    meta([
      ['verdict', `<span class="verdict ${esc(v.verdict)}">${esc(verdict)}</span>`],
      ['why', esc(v.reason)],
      ['started', esc(t.startedAt)],
      [
        'measured by',
        `${t.origin === 'agent' ? `agent ${text(t.agentId)}` : 'import'}, ${esc(t.tool)} (${esc(t.method)}), IPv${t.ipVersion}`,
      ],
      [
        'prober position',
        t.source.position
          ? esc(`${t.source.position.lat}, ${t.source.position.lon}`)
          : 'not recorded: no distance could be measured from it',
      ],
      [
        'destination',
        `${text(t.destination.ip)}${t.destination.name ? ` (${esc(t.destination.name)})` : ''}, ${text(v.destination.country)}`,
      ],
      ['countries in path order', esc(v.countries.join(' -> '))],
      ['extra distance', v.extraKm === null ? '-' : `${num(v.extraKm, 0)} km`],
      [
        'databases',
        esc(
          (v.geoDatabases ?? []).map((b) => `${b.name} (${b.builtAt ?? 'no build date'})`).join(', ') ||
            'not recorded by this verdict',
        ),
      ],
      ['replies read from', `${esc(t.replies.from)}${t.replies.note ? `: ${esc(t.replies.note)}` : ''}`],
      ...(v.problems?.length
        ? ([['implausible because', esc(v.problems.map((p) => JSON.stringify(p)).join('; '))]] as [
            string,
            string,
          ][])
        : []),
    ]),
    hopTable(t),
    refutedTable(v.refutedHops),
    rawSection(t),
    '</section>',
  ].join('\n');
}

function legend(): string {
  const items: [string, string][] = [
    [KIND_COLOURS.source, 'prober'],
    [KIND_COLOURS.home, 'home'],
    [KIND_COLOURS['foreign-confirmed'], 'abroad, confirmed by RTTs'],
    [KIND_COLOURS['foreign-probable'], 'abroad, probable'],
    [KIND_COLOURS.refuted, 'refuted claim (x)'],
  ];
  return `<p class="legend small">${items.map(([c, l]) => `<span><i class="sw" style="background:${c}"></i>${esc(l)}</span>`).join('')}<span>hollow marker, dashed leg: country-level placement (a centroid, not a city)</span><span>thicker: more traces on that route</span></p>`;
}

function summary(body: DocumentBody): string {
  const i = body.incident;
  const pairs: [string, string][] = [
    ['created', esc(body.createdAt)],
    [
      'software',
      esc(`${body.software.name} ${body.software.version} (protocol ${body.software.protocolVersion})`),
    ],
    ['signed by', `Ed25519 <code>${esc(body.signer.publicKey)}</code>`],
    [
      'distance bound',
      esc(
        `${body.analysis.kmPerMs} km per ms of RTT (light in fibre, there and back); home: ${body.analysis.homeCountries.join(' ')}`,
      ),
    ],
  ];
  if (i) {
    pairs.push(
      ['incident', esc(`#${i.id} (${i.state}): ${i.subject} -> ${i.destinationPrefix}`)],
      ['via', esc([...i.countries, ...i.asns.map((a) => `AS${a}`)].join(' '))],
      ['seen', esc(`${i.firstSeen} to ${i.lastSeen}${i.closedAt ? `, closed ${i.closedAt}` : ''}`)],
      [
        'traces',
        esc(`${i.traceCount} (${i.confirmedCount} confirmed); ${body.traces.length} in this bundle`),
      ],
    );
  }
  return meta(pairs);
}

function vantageTable(body: DocumentBody): string {
  if (body.vantagePoints.length === 0)
    return '<p>No agent of this network measured these traces (imported traces).</p>';
  const rows = body.vantagePoints.map((v) =>
    row([
      td(esc(v.agentId)),
      td(text(v.name)),
      td(v.claimedPosition ? esc(`${v.claimedPosition.lat}, ${v.claimedPosition.lon}`) : '-'),
      td(
        `${text(v.locationStatus ?? 'not evaluated')}${v.locationReason ? `<br><span class="small">${esc(v.locationReason)}</span>` : ''}`,
      ),
      td(esc(v.traceIds.map((id) => `#${id}`).join(' '))),
    ]),
  );
  return `<table>${th(['agent', 'name', 'claimed position', 'location status', 'traces'])}${rows.join('')}</table>`;
}

function databaseTable(body: DocumentBody): string {
  if (body.databases.length === 0) return '<p>No database is named by these verdicts.</p>';
  const rows = body.databases.map((d) =>
    row([
      td(esc(d.role)),
      td(esc(d.name)),
      td(text(d.builtAt)),
      td(
        d.sha256
          ? `<code>${esc(d.sha256)}</code>`
          : '<span class="small">not known to the coordinator that made this bundle</span>',
      ),
      td(esc(d.traceIds.map((id) => `#${id}`).join(' '))),
    ]),
  );
  return `<table>${th(['role', 'database', 'built', 'SHA-256', 'judged traces'])}${rows.join('')}</table>`;
}

/** The report for a document body; `rings` is the land outline (world-outline.ts). */
export function reportHtml(body: DocumentBody, rings: readonly Ring[]): string {
  const routes = reportRoutes(body.traces);
  const view = fitView(routeExtent(routes));
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(body.title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${esc(body.title)}</h1>`,
    summary(body),
    '<p class="small">This report is part of a signed detourwatch evidence bundle. Check it with <code>detourwatch bundle verify FILE --public-key KEY</code>: the signature covers the JSON document, and the document names this report\'s SHA-256.</p>',
    '<h2>Map of the paths</h2>',
    mapSvg(view, rings, routes),
    legend(),
    '<h2>Vantage points</h2>',
    vantageTable(body),
    '<h2>Databases</h2>',
    databaseTable(body),
    '<h2>How to read the physics</h2>',
    `<p>A reply with a round-trip time of R ms came from at most R &times; ${esc(String(body.analysis.kmPerMs))} km from the prober. Each hop's <i>needed RTT</i> is the least RTT its claimed place allows (its distance less the database's accuracy radius); a claim whose own RTT is below it cannot be true and is refuted. On flow-stable (Paris) traces a later, faster reply refutes an earlier claim too.</p>`,
    ...body.traces.map(traceSection),
    '</body></html>',
    '',
  ].join('\n');
}
