import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Delivery } from '../../agent/delivery.ts';
import { createLogger } from '../../agent/log.ts';
import { Outbox } from '../../agent/outbox.ts';
import { newResultId } from '../../agent/outbox-files.ts';
import type { ResultMessage } from '../../protocol/messages.ts';
import { parseAgentMessage } from '../../protocol/messages.ts';
import { waitFor } from './fake-coordinator.ts';

const log = createLogger(new PassThrough().resume());

function result(resultId: string): ResultMessage {
  return {
    type: 'result',
    resultId,
    taskId: null,
    target: '192.0.2.1',
    engine: 'scamper',
    output: '{}',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1,
  };
}

/** Gives the delivery time to send more than it should (asserted not to happen). */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('Delivery', () => {
  let dir: string;
  let outbox: Outbox;
  let ids: string[];
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-delivery-'));
    outbox = (await Outbox.open(dir, log)).outbox;
    ids = [];
    for (let i = 0; i < 10; i++) {
      ids.push(newResultId());
      await outbox.put(result(ids[i] as string));
    }
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const sentIds = (frames: string[]) =>
    frames.map((f) => {
      const m = parseAgentMessage(f);
      return m.type === 'result' ? m.resultId : m.type;
    });

  it('sends a backlog oldest first, never more than the window unacknowledged, deleting files on ack', async () => {
    const { pending } = await Outbox.open(dir, log);
    const d = new Delivery(outbox, log, pending, 3);
    const frames: string[] = [];
    d.attach((t) => frames.push(t));
    await waitFor(() => frames.length >= 3, 'the first window');
    await settle();
    expect(sentIds(frames)).toEqual(ids.slice(0, 3));
    await d.ack({ type: 'ack', resultId: ids[1] as string, status: 'stored' });
    await waitFor(() => frames.length >= 4, 'one more after an ack');
    await settle();
    expect(sentIds(frames)).toEqual(ids.slice(0, 4));
    expect(d.inFlightCount).toBe(3);
    expect(d.pendingCount).toBe(9);
    expect((await Outbox.open(dir, log)).pending.map((e) => e.resultId)).not.toContain(ids[1]);
  });

  it('re-sends what was in flight, first, after a reconnect; nothing is sent while detached', async () => {
    const { pending } = await Outbox.open(dir, log);
    const d = new Delivery(outbox, log, pending, 2);
    const first: string[] = [];
    d.attach((t) => first.push(t));
    await waitFor(() => first.length >= 2, 'the first window');
    d.detach();
    const added = newResultId();
    d.add(await outbox.put(result(added)));
    await settle();
    expect(sentIds(first)).toEqual(ids.slice(0, 2));
    const second: string[] = [];
    d.attach((t) => second.push(t));
    await waitFor(() => second.length >= 2, 'the re-sent window');
    await settle();
    expect(sentIds(second)).toEqual(ids.slice(0, 2));
    // Acknowledge whatever has been sent until nothing is left: each result goes out once, in order.
    const acked = new Set<string>();
    for (let round = 0; round < 50 && d.pendingCount > 0; round++) {
      for (const id of sentIds(second)) {
        if (!acked.has(id)) {
          acked.add(id);
          await d.ack({ type: 'ack', resultId: id, status: 'duplicate' });
        }
      }
      await settle();
    }
    expect(sentIds(second)).toEqual([...ids, added]);
    expect(d.pendingCount).toBe(0);
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.json'))).toEqual([]);
  });

  it('drained() waits for the last ack, or for the connection to go', async () => {
    const { pending } = await Outbox.open(dir, log);
    const d = new Delivery(outbox, log, pending.slice(0, 1), 5);
    let drained = false;
    d.attach(() => {});
    void d.drained().then(() => {
      drained = true;
    });
    await settle();
    expect(drained).toBe(false);
    await d.ack({ type: 'ack', resultId: ids[0] as string, status: 'stored' });
    await waitFor(() => drained, 'drained() after the last ack');

    const d2 = new Delivery(outbox, log, pending.slice(1, 2), 5);
    let gone = false;
    d2.attach(() => {});
    void d2.drained().then(() => {
      gone = true;
    });
    d2.detach();
    await waitFor(() => gone, 'drained() once the connection is gone');
  });

  it('skips a result whose file turned unreadable and goes on with the rest', async () => {
    const { pending } = await Outbox.open(dir, log);
    await fs.writeFile(path.join(dir, (pending[0] as { fileName: string }).fileName), 'garbage');
    const d = new Delivery(outbox, log, pending, 3);
    const frames: string[] = [];
    d.attach((t) => frames.push(t));
    await waitFor(() => frames.length >= 3, 'a full window');
    await settle();
    expect(sentIds(frames)).toEqual(ids.slice(1, 4));
    expect(d.pendingCount).toBe(9);
  });
  it('a retry ack: the result goes again on the same connection once its delay is over, the others meanwhile', async () => {
    const { pending } = await Outbox.open(dir, log);
    const d = new Delivery(outbox, log, pending.slice(0, 4), 3);
    const frames: { id: string; at: number }[] = [];
    d.attach((t) => frames.push({ id: sentIds([t])[0] as string, at: Date.now() }));
    await waitFor(() => frames.length >= 3, 'the first window');
    const retriedAt = Date.now();
    await d.ack({
      type: 'ack',
      resultId: ids[0] as string,
      status: 'retry',
      retryAfterMs: 300,
      reason: 'busy',
    });
    // Its place in the window goes to the next result; the retried one waits out its delay.
    await waitFor(() => frames.length >= 4, 'the next result');
    await d.ack({ type: 'ack', resultId: ids[1] as string, status: 'stored' });
    await waitFor(() => frames.length >= 5, 'the retried result, without a reconnect');
    expect(frames.map((f) => f.id)).toEqual([ids[0], ids[1], ids[2], ids[3], ids[0]]);
    expect((frames[4]?.at ?? 0) - retriedAt).toBeGreaterThanOrEqual(300);
    // Its file stayed until the real ack; then it is gone, and nothing went a third time.
    expect((await Outbox.open(dir, log)).pending.map((e) => e.resultId)).toContain(ids[0]);
    await d.ack({ type: 'ack', resultId: ids[0] as string, status: 'stored' });
    expect((await Outbox.open(dir, log)).pending.map((e) => e.resultId)).not.toContain(ids[0]);
    await settle();
    expect(frames).toHaveLength(5);
    expect(d.pendingCount).toBe(2);
    d.detach();
  });

  it('a retry delay ends with the connection: after a reconnect the result goes at once, first', async () => {
    const { pending } = await Outbox.open(dir, log);
    const d = new Delivery(outbox, log, pending.slice(0, 2), 5);
    const first: string[] = [];
    d.attach((t) => first.push(t));
    await waitFor(() => first.length >= 2, 'the first window');
    await d.ack({
      type: 'ack',
      resultId: ids[0] as string,
      status: 'retry',
      retryAfterMs: 600_000,
      reason: 'store failed',
    });
    d.detach();
    const second: string[] = [];
    d.attach((t) => second.push(t));
    await waitFor(() => second.length >= 2, 'both results on the new connection');
    expect(sentIds(second)).toEqual(ids.slice(0, 2));
    d.detach();
  });
});
