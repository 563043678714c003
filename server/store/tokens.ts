import { createHash, randomBytes } from 'node:crypto';

/** Recognisable in logs and to secret scanners; the rest is 32 random bytes. */
const TOKEN_PREFIX = 'dwt_';

/** A new agent token: shown once to the operator, never stored. */
export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** What the store keeps and looks tokens up by (SHA-256, hex). A 256-bit random token needs no slow hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
