/**
 * A web ReadableStream (what Hono responds with) over a lazy chunk sequence. It pulls one chunk at a time,
 * only when the HTTP layer asks (the Node adapter waits for `drain` before reading again), and releases the
 * source when the stream ends, fails or the client goes away.
 */
export function chunkStream(chunks: AsyncIterator<string>, release: () => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    void chunks.return?.()?.catch(() => {});
    release();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) {
            done();
            controller.close();
          } else {
            controller.enqueue(encoder.encode(next.value));
          }
        } catch (err) {
          done();
          controller.error(err);
        }
      },
      cancel() {
        done();
      },
    },
    { highWaterMark: 1 },
  );
}
