import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-Detourwatch-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the shared
 * secret. The body carries the same timestamp as `X-Detourwatch-Timestamp`, so a receiver that checks the
 * signature and then rejects stale timestamps is protected against replays too.
 */
export const SIGNATURE_HEADER = 'x-detourwatch-signature';
export const TIMESTAMP_HEADER = 'x-detourwatch-timestamp';
export const EVENT_HEADER = 'x-detourwatch-event';
export const DELIVERY_HEADER = 'x-detourwatch-delivery';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What a receiver runs: constant-time comparison of the header with the expected signature. */
export function verifySignature(secret: string, body: string, header: string | null | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(secret, body), 'utf8');
  const given = Buffer.from(header, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
