import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { DetourwatchError } from '../../protocol/errors.ts';
import { bearerToken } from '../hub/bearer.ts';
import { type Cidr, clientAddress } from '../net/client-address.ts';
import type { AgentStore, TokenRole } from '../store/agent-store.ts';
import { hashToken } from '../store/tokens.ts';

/** Who sent a request: no (valid) key, or the role and id of the key it carried. */
export type Caller = { role: 'anonymous'; tokenId: null } | { role: TokenRole; tokenId: number };

export interface AuthOptions {
  store: Pick<AgentStore, 'findTokenByHash'>;
  /** false (`serve --public-read false`): reads need an operator key too. */
  publicRead: boolean;
  /** `--trust-proxy`: peers whose X-Forwarded-For is believed. */
  trustProxy: readonly Cidr[];
}

/**
 * Who may do what over HTTP, in one place. Routes that change state or steer probes declare `operator`;
 * everything under /api/ passes `read` (public unless --public-read false). A key is `Authorization: Bearer`.
 */
export interface Auth {
  caller(c: Context): Promise<Caller>;
  /** Operator keys only: none (or an unknown or revoked one) is 401 AUTH_REQUIRED, an agent token 403 FORBIDDEN. */
  readonly operator: MiddlewareHandler;
  /** Reads: anyone while reads are public, else as `operator`. */
  readonly read: MiddlewareHandler;
  /** The client's address (X-Forwarded-For only from a trusted proxy). */
  address(c: Context): string | null;
}

const ANONYMOUS: Caller = { role: 'anonymous', tokenId: null };

/** The Node request under Hono's node adapter; absent under `app.request` in tests. */
export function incoming(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

export function createAuth(options: AuthOptions): Auth {
  // One lookup per request, whichever middleware asks first.
  const seen = new WeakMap<Request, Promise<Caller>>();

  async function lookUp(c: Context): Promise<Caller> {
    const header = c.req.header('authorization');
    if (header === undefined) return ANONYMOUS;
    const token = bearerToken(header);
    if (token === null) return ANONYMOUS;
    const record = await options.store.findTokenByHash(hashToken(token));
    if (!record || record.revokedAt !== null) return ANONYMOUS;
    return { role: record.role, tokenId: record.id };
  }

  function caller(c: Context): Promise<Caller> {
    let found = seen.get(c.req.raw);
    if (!found) {
      found = lookUp(c);
      seen.set(c.req.raw, found);
    }
    return found;
  }

  const operator: MiddlewareHandler = async (c, next) => {
    const who = await caller(c);
    if (who.role === 'anonymous') {
      const given = c.req.header('authorization') !== undefined;
      throw new DetourwatchError(
        'AUTH_REQUIRED',
        given
          ? 'the key is unknown or revoked: send a valid operator key (detourwatch token create --role operator)'
          : 'this needs an operator key: Authorization: Bearer KEY (detourwatch token create --role operator)',
      );
    }
    if (who.role !== 'operator') {
      throw new DetourwatchError(
        'FORBIDDEN',
        `token #${who.tokenId} is an ${who.role} token; this needs an operator key (detourwatch token create --role operator)`,
      );
    }
    await next();
  };

  return {
    caller,
    operator,
    read: options.publicRead ? async (_c, next) => next() : operator,
    address: (c) =>
      clientAddress(incoming(c)?.socket.remoteAddress, c.req.header('x-forwarded-for'), options.trustProxy),
  };
}

/** Public positions are rounded to 0.1 degree (about 10 km): near enough for a map, not a street address. */
export function roundedPosition<P extends { lat: number; lon: number } | null>(p: P): P {
  if (p === null) return p;
  return { ...p, lat: Math.round(p.lat * 10) / 10, lon: Math.round(p.lon * 10) / 10 };
}
