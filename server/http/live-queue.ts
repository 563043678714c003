/**
 * A live consumer's bounded buffer: events wait here while the previous write is awaited (the socket's own
 * backpressure), and a consumer that falls more than `maxEvents` events or `maxBytes` bytes behind is given
 * up on: its queue is dropped at once and `overflow` is called, so memory per consumer stays bounded however
 * long it stops reading.
 */
export interface LiveQueueOptions<T> {
  maxEvents: number;
  maxBytes: number;
  /** The size an event counts for (its encoded text). */
  size(item: T): number;
  /** Writes one event; resolves when the transport takes it (and so takes the next). */
  write(item: T): Promise<void>;
  /** Called once, when the bound is passed. */
  overflow(backlog: { events: number; bytes: number }): void;
}

export interface LiveQueue<T> {
  push(item: T): void;
  /** True once the bound was passed: nothing more is queued. */
  readonly overflowed: boolean;
}

export function liveQueue<T>(options: LiveQueueOptions<T>): LiveQueue<T> {
  let items: { item: T; bytes: number }[] = [];
  let bytes = 0;
  let pumping = false;
  let overflowed = false;

  async function pump(): Promise<void> {
    pumping = true;
    try {
      for (let next = items.shift(); next !== undefined && !overflowed; next = items.shift()) {
        bytes -= next.bytes;
        await options.write(next.item);
      }
    } finally {
      pumping = false;
    }
  }

  return {
    push(item) {
      if (overflowed) return;
      const size = options.size(item);
      items.push({ item, bytes: size });
      bytes += size;
      if (items.length > options.maxEvents || bytes > options.maxBytes) {
        overflowed = true;
        const backlog = { events: items.length, bytes };
        items = [];
        bytes = 0;
        options.overflow(backlog);
        return;
      }
      if (!pumping) void pump();
    },
    get overflowed() {
      return overflowed;
    },
  };
}
