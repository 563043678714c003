/**
 * POST /api/v1/analyze on a real coordinator (SQLite in a temp directory, the world's test databases): a paste
 * is parsed and judged, never stored; too large, unreadable or too frequent pastes get coded errors.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyzeResponse } from '../../protocol/map-api.ts';
import { createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { startTestCoordinator, type TestCoordinator } from '../integration/coordinator-harness.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/paste');
const TRACERT = readFileSync(path.join(FIXTURES, 'tracert/handwritten-d.txt'), 'utf8');

describe('POST /api/v1/analyze', () => {
  let test: TestCoordinator;
  let url: string;
  const post = (body: string, type = 'application/json') =>
    fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  const traceCount = async (): Promise<number> => {
    const res = await fetch(`${test.coordinator.url}/api/v1/traces?limit=100`);
    return ((await res.json()) as { traces: unknown[] }).traces.length;
  };

  beforeAll(async () => {
    test = await startTestCoordinator({ analyzer: createWorldAnalyzer() });
    url = `${test.coordinator.url}/api/v1/analyze`;
  });
  afterAll(async () => {
    await test?.close();
  });

  it('refuses a body over 1 MiB with 413 PAYLOAD_TOO_LARGE', async () => {
    // Its own connection: the coordinator answers before reading the body, then closes the socket.
    const body = '1 '.repeat(600_000);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', agent: false, headers: { 'content-type': 'text/plain' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(413);
    expect((JSON.parse(answer.text) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses HTML with FORMAT_UNKNOWN and the explanation of what was tried', async () => {
    const res = await post('<!doctype html><html><body><p>not a trace</p></body></html>', 'text/plain');
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('FORMAT_UNKNOWN');
    expect(error.message.length).toBeGreaterThan(20);
  });

  it('judges a tracert, asks for the source location it lacks, and stores nothing', async () => {
    const before = await traceCount();
    const bare = await post(JSON.stringify({ text: TRACERT, format: 'auto', sourceLocation: null }));
    expect(bare.status).toBe(200);
    const first = (await bare.json()) as AnalyzeResponse;
    expect(first.stored).toBe(false);
    expect(first.needsSourceLocation).toBe(true);

    const placed = await post(JSON.stringify({ text: TRACERT, sourceLocation: '40.71,-74.01' }));
    const answer = (await placed.json()) as AnalyzeResponse;
    expect(answer.needsSourceLocation).toBe(false);
    expect(answer.traces).toHaveLength(1);
    const [t] = answer.traces;
    expect(t?.pasted).toBe(true);
    expect(t?.source.lat).toBeCloseTo(40.7, 1);
    expect(t?.hops.map((h) => h.ip)).toEqual(['192.168.1.1', '198.51.100.1', null, '203.0.113.80']);
    expect(typeof t?.verdict).toBe('string');
    expect(await traceCount()).toBe(before);
  });

  it('answers 429 RATE_LIMITED with Retry-After once the burst is spent', async () => {
    let limited: Response | null = null;
    for (let i = 0; i < 20 && limited === null; i++) {
      const res = await post(TRACERT, 'text/plain');
      if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    if (limited === null) throw new Error('20 pastes in a row were never rate-limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
  });
});
