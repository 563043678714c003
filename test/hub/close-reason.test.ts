import { describe, expect, it } from 'vitest';
import { bearerToken } from '../../server/hub/bearer.ts';
import { fitCloseReason } from '../../server/hub/close-reason.ts';

describe('close reasons', () => {
  it('fit the 123 bytes RFC 6455 allows, on a character boundary', () => {
    const long = `é${'x'.repeat(200)}`;
    const fitted = fitCloseReason(long);
    expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(123);
    expect(fitted.endsWith('...')).toBe(true);
    expect(fitCloseReason('short')).toBe('short');
    const emoji = fitCloseReason('🛰'.repeat(60));
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(123);
    // Well-formed: it survives a round trip through UTF-8 unchanged.
    expect(Buffer.from(emoji, 'utf8').toString('utf8')).toBe(emoji);
  });
});

describe('bearer tokens', () => {
  it.each([
    ['Bearer dwt_abc', 'dwt_abc'],
    ['bearer dwt_abc ', 'dwt_abc'],
    ['Basic dwt_abc', null],
    ['Bearer ', null],
    ['Bearer two words', null],
    [undefined, null],
  ])('%s -> %s', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
