import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.ts';
import { Outbox } from '../../agent/outbox.ts';
import {
  classifyOutboxName,
  decodeStoredResult,
  encodeResult,
  newResultId,
  QUARANTINE_DIR,
  resultFileName,
  tempFileName,
} from '../../agent/outbox-files.ts';
import type { ResultMessage } from '../../protocol/messages.ts';
import { MAX_MESSAGE_BYTES, parseAgentMessage } from '../../protocol/messages.ts';

function result(
  resultId: string,
  output = 'traceroute to 192.0.2.1 (192.0.2.1), 30 hops max\n',
): ResultMessage {
  return {
    type: 'result',
    resultId,
    taskId: 'task-1',
    target: '192.0.2.1',
    engine: 'traceroute',
    output,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 12,
  };
}

/** A logger whose lines the test can read. */
function capturingLogger() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { log: createLogger(stream), lines: () => text.split('\n').filter(Boolean) };
}

describe('outbox file names', () => {
  it('makes 128-bit url-safe result ids the protocol accepts, all different', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newResultId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
      expect(parseAgentMessage(JSON.stringify(result(id))).type).toBe('result');
    }
  });

  it('names sort oldest first and parse back to what they were made from', () => {
    const early = resultFileName(999, 'zzzzzzzzzzzzzzzzzzzzzz');
    const late = resultFileName(1_700_000_000_000, 'AAAAAAAAAAAAAAAAAAAAAA');
    expect([late, early].sort()).toEqual([early, late]);
    expect(classifyOutboxName(late)).toEqual({
      kind: 'result',
      resultId: 'AAAAAAAAAAAAAAAAAAAAAA',
      savedAtMs: 1_700_000_000_000,
    });
    expect(classifyOutboxName(tempFileName('AAAAAAAAAAAAAAAAAAAAAA'))).toEqual({ kind: 'temp' });
    for (const foreign of ['notes.txt', '123-abc.json', `${late}.bak`, '000000000000001-bad id!!.json']) {
      expect(classifyOutboxName(foreign)).toEqual({ kind: 'foreign' });
    }
  });

  it('refuses to store a result larger than a protocol frame', () => {
    expect(() => encodeResult(result(newResultId(), 'x'.repeat(MAX_MESSAGE_BYTES)))).toThrow(/more than/);
  });

  it('refuses stored files that are not the result their name says', () => {
    const id = newResultId();
    expect(decodeStoredResult(encodeResult(result(id)), id).resultId).toBe(id);
    expect(() => decodeStoredResult(encodeResult(result(id)), newResultId())).toThrow(/not/);
    expect(() =>
      decodeStoredResult('{"type":"task-failed","taskId":"t","code":"c","message":"m"}', id),
    ).toThrow(/task-failed/);
    expect(() => decodeStoredResult('{"type":"res', id)).toThrow(/JSON/);
  });
});

describe('Outbox on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'dw-outbox-')), 'outbox');
  });
  afterEach(async () => {
    await fs.rm(path.dirname(dir), { recursive: true, force: true });
  });

  it('creates its directory, stores results durably and returns them after a restart, oldest first', async () => {
    const { log } = capturingLogger();
    let now = 1000;
    const first = await Outbox.open(dir, log, () => now);
    expect(first.pending).toEqual([]);
    const ids = [newResultId(), newResultId(), newResultId()];
    for (const id of ids) {
      now += 1;
      await first.outbox.put(result(id));
    }
    const again = await Outbox.open(dir, log, () => now);
    expect(again.pending.map((e) => e.resultId)).toEqual(ids);
    const stored = await again.outbox.read(again.pending[1] as (typeof again.pending)[number]);
    expect(stored).toEqual(result(ids[1] as string));
    await again.outbox.remove(again.pending[0] as (typeof again.pending)[number]);
    expect((await Outbox.open(dir, log)).pending.map((e) => e.resultId)).toEqual(ids.slice(1));
  });

  it('recovers from a crash: temp files deleted, unreadable files quarantined with a log line, never a throw', async () => {
    const { log, lines } = capturingLogger();
    const { outbox } = await Outbox.open(dir, log);
    const good = await outbox.put(result(newResultId()));
    const tornId = newResultId();
    const torn = resultFileName(5, tornId);
    await fs.writeFile(path.join(dir, torn), '{"type":"result","resultId":"');
    await fs.writeFile(path.join(dir, tempFileName(newResultId())), '{"ty');
    await fs.writeFile(path.join(dir, 'README'), 'hello');
    const huge = resultFileName(6, newResultId());
    await fs.writeFile(path.join(dir, huge), Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20));

    const reopened = await Outbox.open(dir, log);
    // The README is quarantined at once (not ours); the torn and huge ones when read.
    expect(reopened.pending.map((e) => e.fileName)).toEqual([torn, huge, good.fileName]);
    const reads = await Promise.all(reopened.pending.map((e) => reopened.outbox.read(e)));
    expect(reads.map((r) => r?.resultId ?? null)).toEqual([null, null, good.resultId]);

    expect((await fs.readdir(dir)).sort()).toEqual([good.fileName, QUARANTINE_DIR].sort());
    const quarantined = await fs.readdir(path.join(dir, QUARANTINE_DIR));
    expect(quarantined).toHaveLength(3);
    for (const name of ['README', torn, huge]) expect(quarantined.some((q) => q.endsWith(name))).toBe(true);
    expect(lines().filter((l) => l.includes('outbox-quarantined'))).toHaveLength(3);
    expect(lines().some((l) => l.includes('outbox-cleaned') && l.includes('tempFiles=1'))).toBe(true);
  });

  it('a result already removed reads as null, and removing it again is harmless', async () => {
    const { log } = capturingLogger();
    const { outbox } = await Outbox.open(dir, log);
    const entry = await outbox.put(result(newResultId()));
    await outbox.remove(entry);
    await outbox.remove(entry);
    expect(await outbox.read(entry)).toBeNull();
    expect(await fs.readdir(path.join(dir, QUARANTINE_DIR))).toEqual([]);
  });

  it('says which directory it cannot use and what to do', async () => {
    const { log } = capturingLogger();
    const file = path.join(path.dirname(dir), 'a-file');
    await fs.writeFile(file, '');
    await expect(Outbox.open(path.join(file, 'outbox'), log)).rejects.toThrow(/--outbox/);
  });
});
