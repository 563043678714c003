/**
 * Fault: clients that stop reading (issue 16, item 3).
 *
 * Proves, against a real coordinator on 127.0.0.1 with detours arriving through real ingest:
 * - the live event stream (the map follows it): 50 clients open /api/v1/events on raw sockets, never read (sockets
 *   paused) while detours arrive. The memory the coordinator holds (heap plus array buffers after a full garbage collection, after each round of 500 detours)
 *   grows by far less than holding every event for every client would take, each stalled client is dropped
 *   with a final `dropped` event saying why once it falls past the bound (seen when it reads again), and a
 *   control client that keeps reading gets every detour and is not dropped;
 * - the export download: a GET /api/v1/detours/export that stops reading mid-download while results keep
 *   arriving holds no read transaction: another connection checkpoints the whole WAL (truncated to 0 bytes)
 *   behind it, and the download, resumed, still holds every detour.
 * Alert deliveries already have a bounded queue per webhook (server/alerts/alert-queue.ts, maxQueued, default
 * 1000), proven in test/alerts/webhooks.test.ts: past it alerts are dropped and recorded as dropped.
 */
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DROPPED_EVENT, EVENTS_API, TRACE_STORED } from '../../protocol/events-api.ts';
import type { CoordinatorMessage } from '../../protocol/messages.ts';
import { EVENTS_MAX_QUEUED, EVENTS_MAX_QUEUED_BYTES } from '../../server/http/routes-events.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import { CITIES } from '../helpers/analyze-world.ts';
import { detourObservation } from '../history/observation.ts';
import { recordOf } from '../history/trace-records.ts';
import {
  AGENT_LOCATION,
  DETOUR_OUTPUT,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
  tracerouteOutput,
} from '../integration/coordinator-harness.ts';

const STALLED = 50;
const DETOURS = 3000;
/** Memory is measured after each round of this many detours. */
const ROUND = 500;

/**
 * A detour through twenty Shanghai routers (each 20 ms slower than light needs): a large live event, so
 * that a stalled client passes its bound sooner than the loopback socket's own buffers (megabytes) fill.
 */
const viaShanghai = greatCircleKm(AGENT_LOCATION, CITIES.shanghai) / 100 + 20;
const LONG_DETOUR_OUTPUT = tracerouteOutput('192.0.2.50', [
  '10.0.0.1  0.443 ms  0.352 ms  0.340 ms',
  ...Array.from({ length: 20 }, (_, i) => {
    const rtt = (viaShanghai + i * 0.5).toFixed(1);
    return `198.51.100.${10 + i}  ${rtt} ms  ${rtt} ms  ${rtt} ms`;
  }),
  `192.0.2.50  ${(2 * viaShanghai).toFixed(1)} ms  ${(2 * viaShanghai).toFixed(1)} ms  ${(2 * viaShanghai).toFixed(1)} ms`,
]);

let t: TestCoordinator;

beforeAll(async () => {
  t = await startTestCoordinator({
    batchMs: 5,
    map: { tileUrl: null, tileAttribution: null, homeCountries: ['US'], pollMs: 50 },
  });
}, 30_000);

afterAll(async () => {
  await t?.close();
});

/** A raw HTTP/1.1 GET on its own socket; `text()` is what arrived so far. */
function rawGet(pathAndQuery: string) {
  const socket = net.connect(t.coordinator.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let ended = false;
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('end', () => {
    ended = true;
  });
  socket.on('close', () => {
    ended = true;
  });
  socket.on('error', () => {});
  socket.write(`GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  return {
    socket,
    text: () => Buffer.concat(chunks).toString('utf8'),
    raw: () => Buffer.concat(chunks),
    bytes: () => chunks.reduce((n, c) => n + c.length, 0),
    ended: () => ended,
  };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends `count` detour results through four protocol clients, keeping a few unanswered at once. */
async function ingestDetours(count: number, output = DETOUR_OUTPUT): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: 4 }, async () =>
      TestClient.connect(t.coordinator.agentUrl, (await t.token()).token),
    ),
  );
  let sent = 0;
  let answered = 0;
  await new Promise<void>((resolve) => {
    for (const client of clients) {
      const sendOne = () => {
        if (sent >= count) return;
        sent += 1;
        client.send(resultMessage(output));
      };
      client.ws.on('message', () => {
        const last = client.messages.pop() as CoordinatorMessage | undefined;
        if (last?.type !== 'ack') return;
        expect(last.status).toBe('stored');
        answered += 1;
        if (answered >= count) resolve();
        else sendOne();
      });
      for (let i = 0; i < 4; i++) sendOne();
    }
  });
  for (const client of clients) client.close();
}

// Garbage collection on demand, so that what is measured is what the coordinator holds, not what it has
// yet to collect.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;
const retained = () => {
  collect();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

describe('live stream clients that stop reading', () => {
  it('are dropped with a reason once past the bound, and memory stays bounded', async () => {
    const stream = `${EVENTS_API.stream}?types=${TRACE_STORED}`;
    const stalled = Array.from({ length: STALLED }, () => rawGet(stream));
    const reading = rawGet(stream);
    await until('every stream to say hello', () =>
      [...stalled, reading].every((c) => c.text().includes('event: hello')),
    );
    for (const c of stalled) c.socket.pause();
    const before = retained();
    let peak = before;
    for (let round = 0; round < DETOURS / ROUND; round++) {
      await ingestDetours(ROUND, LONG_DETOUR_OUTPUT);
      const seen = (round + 1) * ROUND;
      await until(
        'the reading client to see the round',
        () => count(reading.text(), `event: ${TRACE_STORED}`) >= seen,
      );
      peak = Math.max(peak, retained());
    }
    const eventBytes = reading.bytes() / DETOURS;
    // What holding every event for every stalled client would take, against what the bound allows.
    const unbounded = STALLED * DETOURS * eventBytes;
    // The bound per stalled client, plus what this test process itself keeps (the reading client's whole text,
    // UTF-16 in memory) and room for the collector's timing (the coordinator runs in this process).
    const bound =
      STALLED * Math.min(EVENTS_MAX_QUEUED_BYTES, EVENTS_MAX_QUEUED * eventBytes) +
      2 * reading.bytes() +
      32 * 1024 * 1024;
    console.log(
      `slow readers: ${STALLED} stalled clients, ${DETOURS} detours of ~${Math.round(eventBytes)} bytes; ` +
        `memory held grew at most ${Math.round((peak - before) / 1048576)} MiB (unbounded would be ${Math.round(unbounded / 1048576)} MiB)`,
    );
    expect(unbounded).toBeGreaterThan(2 * bound);
    expect(peak - before).toBeLessThan(bound);

    // Reading again, each stalled client finds the events it took before it fell behind, then why it was dropped.
    for (const c of stalled) c.socket.resume();
    await until('every stalled stream to end', () => stalled.every((c) => c.ended()));
    for (const c of stalled) {
      const text = body(c.raw());
      expect(count(text, `event: ${TRACE_STORED}`)).toBeLessThan(DETOURS);
      const lastEvent = text.trimEnd().split('\n\n').at(-1) ?? '';
      expect(lastEvent).toContain(`event: ${DROPPED_EVENT}`);
      expect(lastEvent).toContain('behind the live stream');
    }
    expect(reading.text()).not.toContain(`event: ${DROPPED_EVENT}`);
    expect(reading.ended()).toBe(false);
    reading.socket.destroy();
  }, 120_000);
});

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('an export download that stops reading during ingest', () => {
  it('holds no read transaction: the WAL is checkpointed to nothing behind it', async () => {
    // More NDJSON than the loopback socket's buffers can hold, so the download really stalls midway.
    const rmemMax = readSysctl('/proc/sys/net/ipv4/tcp_rmem')[2] ?? 0;
    const wmemMax = readSysctl('/proc/sys/net/ipv4/tcp_wmem')[2] ?? 0;
    const stalledAt = Math.min(rmemMax + wmemMax, 64 * 1024 * 1024) + 4 * 1024 * 1024;
    const T0 = Date.parse('2026-03-01T00:00:00Z');
    let stored = 0;
    const perLine = 700;
    const wanted = Math.ceil(stalledAt / perLine);
    for (let from = 0; from < wanted; from += 2000) {
      const records = Array.from({ length: Math.min(2000, wanted - from) }, (_, i) =>
        recordOf(detourObservation({ startedAt: T0 + (from + i) * 1000, foreignCountries: ['CN'] })),
      );
      stored += await t.store.writeImported(records);
    }
    const download = rawGet('/api/v1/detours/export?format=ndjson');
    await until('the download to begin', () => download.bytes() > 0);
    download.socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const readBeforeStall = download.bytes();
    await ingestDetours(300);
    const other = new Database(path.join(t.dataDir, DATABASE_FILE));
    try {
      other.pragma('busy_timeout = 200');
      const [result] = other.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
      expect(result).toEqual(expect.objectContaining({ busy: 0, log: 0 }));
      expect(statSync(path.join(t.dataDir, `${DATABASE_FILE}-wal`)).size).toBe(0);
    } finally {
      other.close();
    }
    download.socket.resume();
    await until('the download to finish', () => download.ended(), 60_000);
    const lines = body(download.raw())
      .split('\n')
      .filter((l) => l !== '');
    // It was really stalled midway: most of it arrived only after the checkpoint.
    expect(readBeforeStall).toBeLessThan(download.bytes() / 2);
    // Every detour stored when it began: those imported here, and the live ones of the test before.
    expect(lines.length).toBeGreaterThanOrEqual(stored);
    expect(lines.every((l) => l.startsWith('{'))).toBe(true);
  }, 180_000);
});

function readSysctl(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    return [0, 0, 6 * 1024 * 1024];
  }
}

/** The body of a raw HTTP/1.1 response, de-chunked when it came chunked. */
function body(response: Buffer): string {
  const split = response.indexOf('\r\n\r\n');
  const head = response.subarray(0, split).toString('latin1');
  let at = split + 4;
  if (!/transfer-encoding:\s*chunked/i.test(head)) return response.subarray(at).toString('utf8');
  const parts: Buffer[] = [];
  for (;;) {
    const eol = response.indexOf('\r\n', at);
    const size = Number.parseInt(response.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts).toString('utf8');
    parts.push(response.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
