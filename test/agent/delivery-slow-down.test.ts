/**
 * Backpressure on the agent's side (issue 17): after a `slow-down` the delivery sends nothing, new or again,
 * until the delay is over, keeps every result in the outbox meanwhile, then goes on oldest first.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Delivery } from '../../agent/delivery.ts';
import { createLogger } from '../../agent/log.ts';
import { Outbox } from '../../agent/outbox.ts';
import { newResultId } from '../../agent/outbox-files.ts';
import { parseAgentMessage, type ResultMessage } from '../../protocol/messages.ts';
import { waitFor } from './fake-coordinator.ts';

const log = createLogger(new PassThrough().resume());
const PAUSE_MS = 400;

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

const idOf = (frame: string) => {
  const m = parseAgentMessage(frame);
  return m.type === 'result' ? m.resultId : m.type;
};

describe('Delivery after slow-down', () => {
  let dir: string;
  let outbox: Outbox;
  let ids: string[];
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-slow-down-'));
    outbox = (await Outbox.open(dir, log)).outbox;
    ids = [];
    for (let i = 0; i < 6; i++) {
      ids.push(newResultId());
      await outbox.put(result(ids[i] as string));
    }
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('holds every send for the delay, acks still count, and nothing leaves the outbox unacked', async () => {
    const { pending } = await Outbox.open(dir, log);
    const d = new Delivery(outbox, log, pending, 2);
    const sent: { id: string; at: number }[] = [];
    d.attach((t) => sent.push({ id: idOf(t), at: Date.now() }));
    await waitFor(() => sent.length === 2, 'the first window');

    const pausedAt = Date.now();
    d.slowDown(PAUSE_MS, 'the coordinator is behind');
    // The coordinator still answers what it has: one stored, one to be sent again.
    await d.ack({ type: 'ack', resultId: ids[0] as string, status: 'stored' });
    await d.ack({
      type: 'ack',
      resultId: ids[1] as string,
      status: 'retry',
      retryAfterMs: 0,
      reason: 'overloaded',
    });
    const newer = newResultId();
    d.add(await outbox.put(result(newer)));
    await new Promise((r) => setTimeout(r, PAUSE_MS / 2));
    expect(sent).toHaveLength(2);
    expect(d.pendingCount).toBe(6);
    expect((await Outbox.open(dir, log)).pending).toHaveLength(6);

    await waitFor(() => sent.length === 4, 'the window to fill again after the pause', 5_000);
    for (const s of sent.slice(2)) expect(s.at).toBeGreaterThanOrEqual(pausedAt + PAUSE_MS);
    // Oldest first: the retried one goes back to its place, ahead of the ones behind it.
    expect(sent.slice(2).map((s) => s.id)).toEqual([ids[1], ids[2]]);
  });

  it('a shorter slow-down does not cut a longer one short; a reconnect ends it', async () => {
    const { pending } = await Outbox.open(dir, log);
    const d = new Delivery(outbox, log, pending, 1);
    const sent: string[] = [];
    d.attach((t) => sent.push(idOf(t)));
    await waitFor(() => sent.length === 1, 'the first send');
    d.slowDown(60_000, 'long');
    d.slowDown(10, 'short');
    await d.ack({ type: 'ack', resultId: ids[0] as string, status: 'stored' });
    await new Promise((r) => setTimeout(r, 100));
    expect(sent).toHaveLength(1);
    d.detach();
    d.attach((t) => sent.push(idOf(t)));
    await waitFor(() => sent.length === 2, 'a send on the new connection');
    expect(sent[1]).toBe(ids[1]);
  });
});
