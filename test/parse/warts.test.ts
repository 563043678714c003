/**
 * scamper warts files, produced by the real scamper in the namespace lab (test/fixtures/paste/scamper-warts),
 * read through the real sc_warts2json: as bytes (parseWartsBytes), from a stream (readTraceInput, what analyze
 * uses) and by `detourwatch analyze`. Expectations are what `sc_warts2text FILE` prints (SOURCE.md).
 */
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { readTraceInput, type TraceItem } from '../../server/parse/read-traces.ts';
import { isWarts, parseWartsBytes, wartsDamageAt, wartsToJson } from '../../server/parse/warts-convert.ts';
import { runCli } from '../helpers/run-cli.ts';
import { onPath, requirement, skipUnless } from '../helpers/skips.ts';
import { pastedBytes, pastedPath, replies } from './paste-helpers.ts';

const converter = skipUnless(
  'reading warts with sc_warts2json',
  requirement(
    onPath('sc_warts2json'),
    'no scamper',
    'sc_warts2json is not installed (apt-get install scamper)',
  ),
);

async function itemsOf(stream: Readable, format: 'auto' | 'warts' = 'auto'): Promise<TraceItem[]> {
  const items: TraceItem[] = [];
  for await (const piece of readTraceInput(stream, format)) {
    if ('items' in piece) items.push(...piece.items);
  }
  return items;
}

async function failure(run: () => Promise<unknown>): Promise<DetourwatchError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof DetourwatchError) return err;
    throw err;
  }
  throw new Error('expected a DetourwatchError');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-warts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recognising warts', () => {
  it('by its magic bytes 0x12 0x05', () => {
    expect(isWarts(pastedBytes('scamper-warts/trace-icmp-paris-q2-3routers.warts'))).toBe(true);
    expect(isWarts(Buffer.from('traceroute to 192.0.2.1'))).toBe(false);
    expect(isWarts(Buffer.from([0x12]))).toBe(false);
  });

  it('parseTraces, which reads text, refuses it and says how to read it', () => {
    const text = pastedBytes('scamper-warts/trace-icmp-paris-q2-3routers.warts').toString('latin1');
    expect(() => parseTraces(text)).toThrow(/warts.*sc_warts2json/);
    expect(() => parseTraces('traceroute to x', 'warts')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('a missing converter is a clear ENGINE_MISSING saying to install scamper', async () => {
    const bytes = pastedBytes('scamper-warts/trace-icmp-paris-q2-3routers.warts');
    const err = await failure(() =>
      parseWartsBytes(bytes, undefined, (b) =>
        wartsToJson(b, { binary: path.join(dir, 'no-sc_warts2json') }),
      ),
    );
    expect(err.code).toBe('ENGINE_MISSING');
    expect(err.message).toMatch(/install scamper/);
  });

  it('bytes that are not warts are refused before any tool runs', async () => {
    const err = await failure(() =>
      parseWartsBytes(Buffer.from('hello'), undefined, () => Promise.reject(new Error('ran'))),
    );
    expect(err.message).toMatch(/0x12 0x05/);
  });
});

describe('reading warts with sc_warts2json', converter, () => {
  it('an IPv4 Paris ICMP trace: the hops sc_warts2text shows', async () => {
    const [trace, ...more] = await parseWartsBytes(
      pastedBytes('scamper-warts/trace-icmp-paris-q2-3routers.warts'),
    );
    expect(more).toHaveLength(0);
    expect(trace).toMatchObject({
      tool: 'scamper',
      method: 'icmp-paris',
      source: { address: '192.0.2.1' },
      destination: { address: '192.0.2.10' },
      meta: { input: 'warts' },
    });
    expect(replies(trace as Trace)).toEqual([
      [1, [['192.0.2.2', 0.068]]],
      [2, [['198.51.100.2', 0.142]]],
      [3, [['203.0.113.2', 0.091]]],
      [4, [['192.0.2.10', 0.14]]],
    ]);
  });

  it('IPv6, and a file of two traces', async () => {
    const [v6] = await parseWartsBytes(pastedBytes('scamper-warts/trace-icmp-paris-q2-3routers-ipv6.warts'));
    expect(v6?.ipVersion).toBe(6);
    expect(replies(v6 as Trace).map(([ttl, r]) => [ttl, r[0]?.[0], r[0]?.[1]])).toEqual([
      [1, '2001:db8:1::2', 0.085],
      [2, '2001:db8:2::2', 0.139],
      [3, '2001:db8:3::2', 0.166],
      [4, '2001:db8:4::2', 0.117],
    ]);
    const two = await parseWartsBytes(pastedBytes('scamper-warts/two-traces-icmp-paris.warts'));
    expect(two.map((t) => t.destination.address)).toEqual(['192.0.2.10', '203.0.113.2']);
    expect(two[0]?.hops.map((h) => h.replies[0]?.rttMs)).toEqual([0.049, 0.058, 0.068, 0.065]);
    expect(two[1]?.hops.map((h) => h.replies[0]?.rttMs)).toEqual([0.041, 0.063, 0.067]);
  });

  it('a cut-off file: the complete traces before the damage, with a warning; none at all is refused', async () => {
    const two = pastedBytes('scamper-warts/two-traces-icmp-paris.warts');
    expect(wartsDamageAt(two)).toBeNull();
    // Warts records: magic 0x1205, type, 32-bit length. Cut 10 bytes into the last trace record (type 6).
    const starts: { at: number; type: number }[] = [];
    for (let at = 0; at < two.length; at += 8 + two.readUInt32BE(at + 4))
      starts.push({ at, type: two.readUInt16BE(at + 2) });
    const lastTrace = starts.filter((r) => r.type === 6).at(-1)?.at as number;
    const cut = two.subarray(0, lastTrace + 10);
    expect(wartsDamageAt(cut)).toBe(lastTrace);
    const traces = await parseWartsBytes(cut);
    expect(traces.map((t) => t.destination.address)).toEqual(['192.0.2.10']);
    expect(traces[0]?.warnings?.some((w) => w.includes(`record at byte ${lastTrace}`))).toBe(true);
    const err = await failure(() => parseWartsBytes(two.subarray(0, starts[1]?.at ?? 20)));
    expect(err.code).toBe('PARSE_FAILED');
    expect(err.message).toMatch(/no complete trace/);
  });

  it('readTraceInput recognises a warts stream by its first bytes, with or without --format warts', async () => {
    const file = pastedPath('scamper-warts/trace-icmp-paris-q2-3routers.warts');
    for (const format of ['auto', 'warts'] as const) {
      const items = await itemsOf(createReadStream(file, { highWaterMark: 1 }), format);
      expect(items).toHaveLength(1);
      const item = items[0] as TraceItem;
      expect('trace' in item && item.trace.destination.address).toBe('192.0.2.10');
    }
    // --format warts on text: this input's error, named.
    const [bad] = await itemsOf(
      Readable.from([Buffer.from('traceroute to 192.0.2.1 (192.0.2.1)\n')]),
      'warts',
    );
    expect(bad && 'error' in bad && bad.error.message).toMatch(/not a warts file/);
  });

  it('detourwatch analyze reads a warts file and judges its trace', async () => {
    const file = path.join(dir, 'lab.warts');
    writeFileSync(file, pastedBytes('scamper-warts/trace-icmp-paris-q2-3routers.warts'));
    const run = await runCli(['analyze', '--json', file]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({
      tool: 'scamper',
      method: 'icmp-paris',
      destination: { ip: '192.0.2.10' },
    });
    expect(record.hops.map((h: { ip: string }) => h.ip)).toEqual([
      '192.0.2.2',
      '198.51.100.2',
      '203.0.113.2',
      '192.0.2.10',
    ]);
  });
});
