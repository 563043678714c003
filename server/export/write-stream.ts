import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Writes chunks to a Node stream, waiting for `drain` whenever the stream's buffer is full (backpressure).
 * Rejects when the stream fails or closes first (a reader that went away, `| head`), so the caller stops
 * reading rows nobody will see.
 */
export async function writeChunks(
  chunks: Iterable<string> | AsyncIterable<string>,
  out: Writable,
): Promise<void> {
  let failure: Error | null = null;
  const onError = (err: Error) => {
    failure = err;
  };
  out.on('error', onError);
  try {
    for await (const chunk of chunks) {
      if (failure) throw failure;
      if (out.write(chunk)) continue;
      const stop = new AbortController();
      try {
        await Promise.race([
          once(out, 'drain', { signal: stop.signal }),
          once(out, 'close', { signal: stop.signal }).then(() => {
            throw failure ?? new Error('the output was closed before the export finished');
          }),
        ]);
      } finally {
        stop.abort();
      }
    }
    if (failure) throw failure;
  } finally {
    out.off('error', onError);
  }
}
