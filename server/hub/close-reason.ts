/** RFC 6455 allows at most 123 bytes of close reason; `ws` throws on longer ones. */
const MAX_REASON_BYTES = 123;

/** Cuts a close reason to what fits, between characters (never inside a surrogate pair). */
export function fitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= MAX_REASON_BYTES) return reason;
  const chars = Array.from(reason);
  while (Buffer.byteLength(`${chars.join('')}...`, 'utf8') > MAX_REASON_BYTES) chars.pop();
  return `${chars.join('')}...`;
}
