/**
 * Evidence bundles end to end: a real coordinator (the shared harness) over the test world's databases, an
 * agent (the harness's protocol client) that sends a traceroute through a Shanghai router twice, the incident
 * those detours form, its bundle through the API and through the command line, `bundle verify` on it, and
 * verification failing, naming the part, once a byte of a raw output or the HTML report is changed.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import type { IncidentItem, TraceItem } from '../../protocol/history-api.ts';
import { AGENT_VERSION } from '../../protocol/version.ts';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import type { BundleFile } from '../../server/evidence/bundle-document.ts';
import { SIGNING_KEY_FILE } from '../../server/evidence/signing-key.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { CITIES, writeWorldDatabases } from '../helpers/analyze-world.ts';
import {
  AGENT_LOCATION,
  ackFor,
  DETOUR_OUTPUT,
  getJson,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

let dir: string;
let dbs: { cityDb: string; asnDb: string };
let t: TestCoordinator;
let incident: IncidentItem;
let traceIds: number[];

async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const io: CliIo = { stdin: new PassThrough(), stdout, stderr, isTty: false };
  const status = await main(args, io);
  return { status, out, err };
}

async function fetchBundle(pathname: string): Promise<{ res: Response; text: string }> {
  const res = await fetch(`${t.coordinator.url}${pathname}`);
  return { res, text: await res.text() };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-evidence-'));
  // Kept for the test: the bundle must name these very files' SHA-256.
  dbs = writeWorldDatabases(dir);
  t = await startTestCoordinator({ analyzer: createAnalyzer({ ...dbs, lookUpDocumentation: true }) });
  const { token } = await t.token('sf-volunteer');
  const client = await TestClient.connect(t.coordinator.agentUrl, token);
  for (let i = 0; i < 2; i++) {
    const message = resultMessage(DETOUR_OUTPUT);
    client.send(message);
    const ack = await client.waitFor(ackFor(message.resultId));
    expect(ack.status).toBe('stored');
  }
  client.close();
  await client.closed;
  // The incident is folded in the write's own transaction; read until the API shows both traces (bounded).
  for (let tries = 0; ; tries++) {
    const { body } = await getJson(`${t.coordinator.url}/api/v1/incidents`);
    const [first] = (body as { incidents: IncidentItem[] }).incidents;
    if (first?.traceCount === 2) {
      incident = first;
      break;
    }
    if (tries >= 100) throw new Error(`no incident of 2 traces: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const traces = await getJson(`${t.coordinator.url}/api/v1/incidents/${incident.id}/traces`);
  traceIds = (traces.body as { traces: TraceItem[] }).traces.map((x) => x.id).sort((a, b) => a - b);
});

afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v1/incidents/{id}/bundle', () => {
  let bundle: BundleFile;
  beforeAll(async () => {
    const { res, text } = await fetchBundle(`/api/v1/incidents/${incident.id}/bundle`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="incident-${incident.id}.dwbundle.json"`,
    );
    bundle = JSON.parse(text) as BundleFile;
    writeFileSync(path.join(dir, 'api.dwbundle.json'), text);
  });

  it("is signed by the coordinator's key, kept in the data directory with mode 0600", () => {
    expect(t.coordinator.evidenceKey).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect(bundle.publicKey).toBe(t.coordinator.evidenceKey);
    expect(bundle.document.signer).toEqual({ algorithm: 'Ed25519', publicKey: t.coordinator.evidenceKey });
    expect(statSync(path.join(t.dataDir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('holds every trace of the incident with its raw output exactly as the agent sent it', () => {
    const { document } = bundle;
    expect(document.subject).toEqual({ kind: 'incident', id: incident.id });
    expect(document.incident?.id).toBe(incident.id);
    expect(document.traces.map((x) => x.id)).toEqual(traceIds);
    for (const trace of document.traces) {
      expect(trace.raw).toMatchObject({ kind: 'agent-output', engine: 'traceroute', output: DETOUR_OUTPUT });
      expect(trace.raw.kind === 'agent-output' && trace.raw.sha256).toBe(sha256(DETOUR_OUTPUT));
      expect(trace.verdict.verdict).toBe('detour');
      expect(trace.verdict.reason.length).toBeGreaterThan(10);
    }
    expect(document.software).toMatchObject({ name: 'detourwatch', version: AGENT_VERSION });
    expect(Date.parse(document.createdAt)).toBeGreaterThan(Date.parse(incident.lastSeen) - 1000);
  });

  it("has every reply with its RTT, read from the raw output, and each hop's physics from the prober", () => {
    const [trace] = bundle.document.traces;
    expect(trace?.replies).toEqual({ from: 'raw-output', note: null });
    // TTL 2 of DETOUR_OUTPUT: the Shanghai router answered twice, the third probe timed out.
    const line = DETOUR_OUTPUT.split('\n').find((l) => l.startsWith(' 2 ')) ?? '';
    const printed = [...line.matchAll(/(\d+\.\d+) ms/g)].map((m) => Number(m[1]));
    const hop = trace?.hops.find((h) => h.ttl === 2);
    expect(hop?.replies?.map((r) => [r.address, r.rttMs])).toEqual([
      ['198.51.100.7', printed[0]],
      ['198.51.100.7', printed[1]],
      [null, null],
    ]);
    const least = Math.min(...printed);
    expect(hop?.physics).toMatchObject({
      claim: { country: 'CN', city: 'Shanghai' },
      rttMs: least,
      boundKm: expect.closeTo(least * 100, 1),
      distanceKm: expect.closeTo(greatCircleKm(AGENT_LOCATION, CITIES.shanghai), 0),
      ownRttAllows: true,
    });
    // Less the database's 20 km accuracy radius, over 100 km per ms.
    expect(hop?.physics?.neededRttMs).toBeCloseTo(
      (greatCircleKm(AGENT_LOCATION, CITIES.shanghai) - 20) / 100,
      2,
    );
    const reading = trace?.verdict.hops.find((h) => h.ttl === 2);
    expect(reading).toMatchObject({
      status: expect.stringMatching(/^foreign-/),
      database: 'world-city.mmdb',
      asn: 4134,
    });
    expect(trace?.source.position).toEqual(AGENT_LOCATION);
  });

  it('names the vantage point and the databases, with the SHA-256 of their files', () => {
    const { document } = bundle;
    expect(document.vantagePoints).toEqual([
      expect.objectContaining({ name: 'sf-volunteer', claimedPosition: AGENT_LOCATION, traceIds }),
    ]);
    expect(document.databases).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          role: 'city',
          name: 'world-city.mmdb',
          sha256: sha256(readFileSync(dbs.cityDb)),
          traceIds,
        }),
        expect.objectContaining({
          role: 'asn',
          name: 'world-asn.mmdb',
          sha256: sha256(readFileSync(dbs.asnDb)),
          traceIds,
        }),
      ]),
    );
    expect(document.analysis.kmPerMs).toBe(100);
  });

  it('carries a self-contained HTML report with a static map, whose SHA-256 the document names', () => {
    const { html, document } = bundle;
    expect(document.report.sha256).toBe(sha256(html));
    expect(document.report.bytes).toBe(Buffer.byteLength(html));
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('Content-Security-Policy" content="default-src \'none\'');
    expect(html).toMatch(/<svg [^>]*viewBox/);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    for (const id of traceIds) expect(html).toContain(`id="trace-${id}"`);
    expect(html).toContain('198.51.100.7');
    // The report of an opened bundle, for the closing note.
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(path.join(ARTIFACTS, 'evidence-bundle-report.html'), html);
  });

  it('passes `bundle verify`, pinned to the key from the banner', async () => {
    const file = path.join(dir, 'api.dwbundle.json');
    const verified = await run(['bundle', 'verify', file, '--public-key', t.coordinator.evidenceKey]);
    expect(verified.err).toBe('');
    expect(verified.status).toBe(0);
    expect(verified.out).toContain(`verified ${file}`);
    expect(verified.out).toContain(`signature: Ed25519 by ${t.coordinator.evidenceKey}`);
    expect(verified.out).toContain('raw outputs: 2 match');
    expect(verified.out).toContain(`HTML report: SHA-256 ${sha256(bundle.html)}`);
    expect(verified.out).toContain('key: the pinned key');
    const unpinned = await run(['bundle', 'verify', file]);
    expect(unpinned.status).toBe(0);
    expect(unpinned.out).toContain('NOT pinned');
  });
});

describe('bundle verify on a changed bundle', () => {
  const apiText = () => readFileSync(path.join(dir, 'api.dwbundle.json'), 'utf8');

  it('fails, naming the trace, after one byte of a raw output changed', async () => {
    const text = apiText();
    const at = text.indexOf('"output":"traceroute to');
    const router = text.indexOf('198.51.100.7', at);
    expect(at).toBeGreaterThan(0);
    // One byte: the router 198.51.100.7 becomes 198.51.100.8 in the first trace's raw output.
    const changed = `${text.slice(0, router + 11)}8${text.slice(router + 12)}`;
    expect(changed.length).toBe(text.length);
    const file = path.join(dir, 'raw-changed.dwbundle.json');
    writeFileSync(file, changed);
    const verified = await run(['bundle', 'verify', file]);
    expect(verified.status).toBe(1);
    expect(verified.out).toBe('');
    expect(verified.err).toContain('SIGNATURE_INVALID');
    expect(verified.err).toContain(`the raw output of trace #${traceIds[0]}`);
  });

  it('fails, naming the report, after the HTML changed', async () => {
    const bundle = JSON.parse(apiText()) as BundleFile;
    bundle.html = bundle.html.replace('</h1>', ' (nothing to see here)</h1>');
    const file = path.join(dir, 'html-changed.dwbundle.json');
    writeFileSync(file, JSON.stringify(bundle));
    const verified = await run(['bundle', 'verify', file]);
    expect(verified.status).toBe(1);
    expect(verified.err).toContain('DIGEST_MISMATCH');
    expect(verified.err).toContain('the HTML report is not the one signed');
  });

  it('fails when the document was re-signed by another key than the pinned one', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x;
    const file = path.join(dir, 'api.dwbundle.json');
    const verified = await run(['bundle', 'verify', file, '--public-key', `ed25519:${other}`]);
    expect(verified.status).toBe(1);
    expect(verified.err).toContain('KEY_MISMATCH');
  });

  it('fails on a file that is not a bundle', async () => {
    const file = path.join(dir, 'not-a-bundle.json');
    writeFileSync(file, '{"hello":"world"}');
    const verified = await run(['bundle', 'verify', file]);
    expect(verified.status).toBe(1);
    expect(verified.err).toContain('BUNDLE_INVALID');
  });
});

describe('the command line', () => {
  it('`incidents export` through the API writes a bundle that verifies, and its report', async () => {
    const out = path.join(dir, 'cli-api.dwbundle.json');
    const html = path.join(dir, 'cli-api.html');
    const exported = await run([
      'incidents',
      'export',
      String(incident.id),
      '--out',
      out,
      '--html',
      html,
      '--server',
      t.coordinator.url,
    ]);
    expect(exported.err).toBe('');
    expect(exported.status).toBe(0);
    expect(exported.out).toContain(`signed by ${t.coordinator.evidenceKey}`);
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as BundleFile;
    expect(bundle.document.traces.map((x) => x.id)).toEqual(traceIds);
    expect(readFileSync(html, 'utf8')).toBe(bundle.html);
    expect((await run(['bundle', 'verify', out, '--public-key', t.coordinator.evidenceKey])).status).toBe(0);
  });

  it('`bundle trace` from the store signs with the same key, kept in the data directory', async () => {
    const out = path.join(dir, 'cli-local.dwbundle.json');
    const id = traceIds[1] as number;
    const exported = await run([
      'bundle',
      'trace',
      String(id),
      '--out',
      out,
      '--data',
      t.dataDir,
      '--city-db',
      dbs.cityDb,
      '--asn-db',
      dbs.asnDb,
      '--look-up-documentation',
    ]);
    expect(exported.err).toBe('');
    expect(exported.status).toBe(0);
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as BundleFile;
    expect(bundle.document.subject).toEqual({ kind: 'trace', id });
    expect(bundle.document.traces).toHaveLength(1);
    expect(bundle.document.databases.find((d) => d.role === 'city')?.sha256).toBe(
      sha256(readFileSync(dbs.cityDb)),
    );
    expect((await run(['bundle', 'verify', out, '--public-key', t.coordinator.evidenceKey])).status).toBe(0);
  });

  it('says what is missing or unknown', async () => {
    const noOut = await run(['incidents', 'export', String(incident.id), '--server', t.coordinator.url]);
    expect(noOut.status).toBe(2);
    expect(noOut.err).toContain('--out FILE is needed');
    const unknown = await run([
      'bundle',
      'trace',
      '999999',
      '--out',
      path.join(dir, 'x.json'),
      '--server',
      t.coordinator.url,
    ]);
    expect(unknown.status).toBe(1);
    expect(unknown.err).toContain('NOT_FOUND');
  });
});

describe('the trace bundle and the errors of the routes', () => {
  it('GET /api/v1/traces/{id}/bundle holds that trace alone', async () => {
    const id = traceIds[0] as number;
    const { res, text } = await fetchBundle(`/api/v1/traces/${id}/bundle`);
    expect(res.status).toBe(200);
    const bundle = JSON.parse(text) as BundleFile;
    expect(bundle.document.traces.map((x) => x.id)).toEqual([id]);
    expect(bundle.document.incident).toBeNull();
    const file = path.join(dir, 'trace.dwbundle.json');
    writeFileSync(file, text);
    expect((await run(['bundle', 'verify', file])).status).toBe(0);
  });

  it('answers 404 for an unknown id and 400 for one that is not an id', async () => {
    const missing = await getJson(`${t.coordinator.url}/api/v1/incidents/999999/bundle`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const bad = await getJson(`${t.coordinator.url}/api/v1/traces/abc/bundle`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'BAD_PARAMETER', parameter: 'id' } });
  });
});
