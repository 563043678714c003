import { describeError } from '../protocol/errors.ts';
import type { AckMessage } from '../protocol/messages.ts';
import type { Logger } from './log.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';
import { encodeResult } from './outbox-files.ts';

/** How many results may be sent and not yet acknowledged: enough to fill the pipe, few enough that an
 * agent back from a long outage drains its backlog at the coordinator's pace instead of all at once. */
export const DEFAULT_SEND_WINDOW = 32;

type State = 'pending' | 'in-flight';

interface Tracked {
  entry: OutboxEntry;
  state: State;
  /** Outbox order, so a result sent again goes back to its place in the queue. */
  seq: number;
  /** A `retry` ack's time (Date.now()) before which it is not sent again; 0 when it may go now. */
  notBefore: number;
}

/**
 * Sends what the outbox holds, oldest first, at most `window` unacknowledged at a time, and deletes each
 * file on its ack. A `retry` ack (the coordinator did not store it) puts the result back in the queue, to be
 * sent again on the same connection once its delay has passed. On a disconnect everything in flight
 * becomes pending again and is re-sent after the next welcome: delivery is at-least-once, and the
 * coordinator's dedup by resultId makes it exactly-once.
 */
export class Delivery {
  private readonly entries = new Map<string, Tracked>();
  /** Send order; ids that were acked while pending are skipped when they come up. */
  private queue: string[] = [];
  private send: ((text: string) => void) | null = null;
  /** Bumped on every attach/detach so a pump that awaited a disk read notices the socket it read for is gone. */
  private generation = 0;
  private pumping = false;
  private inFlight = 0;
  private nextSeq = 0;
  /** Wakes the pump when the earliest retry delay is over. */
  private retryTimer: NodeJS.Timeout | null = null;
  /** A `slow-down`'s end (Date.now()): nothing is sent before it; results wait in the outbox. */
  private pausedUntil = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly outbox: Outbox,
    private readonly log: Logger,
    pending: readonly OutboxEntry[],
    private readonly window: number = DEFAULT_SEND_WINDOW,
  ) {
    for (const entry of pending) this.track(entry);
  }

  get pendingCount(): number {
    return this.entries.size;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  /** A welcomed connection: start (re)sending through it. */
  attach(send: (text: string) => void): void {
    this.generation++;
    this.send = send;
    void this.pump();
  }

  /**
   * The connection is gone: whatever it carried unacknowledged goes back to the front of the queue, and
   * retry delays end (they were the old connection's coordinator speaking).
   */
  detach(): void {
    this.generation++;
    this.send = null;
    this.clearRetryTimer();
    this.pausedUntil = 0;
    for (const e of this.entries.values()) {
      e.notBefore = 0;
      e.state = 'pending';
    }
    this.inFlight = 0;
    // Everything is pending again, oldest first (the map keeps outbox order).
    this.queue = [...this.entries.keys()];
    this.notifyIdle();
  }

  /** A result just made durable by the outbox. */
  add(entry: OutboxEntry): void {
    this.track(entry);
    void this.pump();
  }

  async ack(msg: AckMessage): Promise<void> {
    const e = this.entries.get(msg.resultId);
    if (!e) {
      // A second ack for a result re-sent before the first ack arrived; nothing left to do.
      this.log.warn('result-unknown-ack', { resultId: msg.resultId, status: msg.status });
      return;
    }
    if (msg.status === 'retry') {
      this.retryLater(msg.resultId, e, msg.retryAfterMs, msg.reason, msg.code);
      return;
    }
    // Refused: it will never be stored, so sending it again cannot help; it goes like an acked one, logged.
    const refusal = msg.status === 'refused' ? { code: msg.code, reason: msg.reason } : null;
    this.entries.delete(msg.resultId);
    if (e.state === 'in-flight') this.inFlight--;
    try {
      await this.outbox.remove(e.entry);
    } catch (err) {
      // The file stays and is sent again after a restart; the coordinator will answer "duplicate".
      this.log.warn('result-acked', {
        resultId: msg.resultId,
        status: msg.status,
        deleteFailed: describeError(err),
      });
    }
    if (refusal)
      this.log.warn('result-refused', { resultId: msg.resultId, ...refusal, pending: this.entries.size });
    else
      this.log.info('result-acked', {
        resultId: msg.resultId,
        status: msg.status,
        pending: this.entries.size,
      });
    this.notifyIdle();
    void this.pump();
  }

  /**
   * The coordinator asked for a pause (backpressure): send nothing, new or again, for `delayMs`. Results
   * already sent are still answered; nothing leaves the outbox but by an ack.
   */
  slowDown(delayMs: number, reason: string): void {
    const until = Date.now() + delayMs;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.log.info('slow-down', { inMs: delayMs, reason, pending: this.entries.size, unacked: this.inFlight });
    this.wakeForRetries();
  }

  /** Resolves when every result has been acknowledged, or when the connection is gone (no ack can come). */
  drained(): Promise<void> {
    if (this.isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Not stored: the result stays in the outbox and goes again, on this connection, after `delayMs`. */
  private retryLater(id: string, e: Tracked, delayMs: number, reason: string, code?: string): void {
    if (e.state !== 'in-flight') return;
    e.state = 'pending';
    this.inFlight--;
    e.notBefore = Date.now() + delayMs;
    const at = this.queue.findIndex((other) => (this.entries.get(other)?.seq ?? -1) > e.seq);
    if (at === -1) this.queue.push(id);
    else this.queue.splice(at, 0, id);
    this.log.info('result-retry', { resultId: id, inMs: delayMs, reason, ...(code ? { code } : {}) });
    void this.pump();
  }

  private isDrained(): boolean {
    return this.send === null || this.entries.size === 0;
  }

  private notifyIdle(): void {
    if (!this.isDrained()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private track(entry: OutboxEntry): void {
    if (this.entries.has(entry.resultId)) return;
    this.entries.set(entry.resultId, { entry, state: 'pending', seq: this.nextSeq++, notBefore: 0 });
    this.queue.push(entry.resultId);
  }

  /** The oldest queued result that may be sent now; stale ids (acked, quarantined) are dropped on the way. */
  private takeNext(now: number): string | undefined {
    for (let i = 0; i < this.queue.length; i++) {
      const id = this.queue[i] as string;
      const e = this.entries.get(id);
      if (e?.state !== 'pending') {
        this.queue.splice(i--, 1);
        continue;
      }
      if (e.notBefore > now) continue;
      this.queue.splice(i, 1);
      return id;
    }
    return undefined;
  }

  private clearRetryTimer(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Wakes the pump for the earliest result still waiting out a retry delay. */
  private wakeForRetries(): void {
    this.clearRetryTimer();
    if (this.send === null) return;
    const now = Date.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const id of this.queue) {
      const e = this.entries.get(id);
      if (e?.state === 'pending') earliest = Math.min(earliest, Math.max(e.notBefore, this.pausedUntil));
    }
    if (earliest === Number.POSITIVE_INFINITY) return;
    // Already due: a full window sends it on the next ack. With room in the window (a pause or delay that ended
    // while the pump was stopping) no ack may ever come, so the pump runs again at once.
    if (earliest <= now && this.inFlight >= this.window) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = null;
        void this.pump();
      },
      Math.max(0, earliest - now),
    );
    this.retryTimer.unref();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.send !== null && this.inFlight < this.window && Date.now() >= this.pausedUntil) {
        const id = this.takeNext(Date.now());
        if (id === undefined) break;
        const e = this.entries.get(id) as Tracked;
        const generation = this.generation;
        const result = await this.outbox.read(e.entry);
        if (result === null) {
          // Already acked and deleted, or quarantined by the outbox (which logged why).
          if (this.entries.get(id) === e) this.entries.delete(id);
          continue;
        }
        if (this.generation !== generation || this.send === null || this.entries.get(id) !== e) {
          if (this.entries.get(id) === e) this.queue.unshift(id);
          continue;
        }
        // A slow-down that came while the file was read holds this one too.
        if (Date.now() < this.pausedUntil) {
          this.queue.unshift(id);
          break;
        }
        e.state = 'in-flight';
        e.notBefore = 0;
        this.inFlight++;
        this.send(encodeResult(result));
        this.log.info('result-sent', { resultId: id, taskId: result.taskId, target: result.target });
      }
    } finally {
      this.pumping = false;
      this.wakeForRetries();
    }
  }
}
