import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createAdaptorServer } from '@hono/node-server';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';

/** `serve --tls-cert FILE --tls-key FILE`: PEM files, read once at startup. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `cannot read the TLS ${what} ${file}: ${describeError(err)}`,
    );
  }
}

/**
 * The one HTTP server: plain, or HTTPS when TLS files are given. The agents' WebSocket upgrades on the
 * same server, so with TLS they connect with wss:// on the same port.
 */
export function createHttpServer(
  fetch: (request: Request) => Response | Promise<Response>,
  tls: TlsFiles | null,
): Server {
  if (tls === null) return createAdaptorServer({ fetch }) as Server;
  const serverOptions = { cert: readPem(tls.certFile, 'certificate'), key: readPem(tls.keyFile, 'key') };
  try {
    return createAdaptorServer({
      fetch,
      createServer: createHttpsServer,
      serverOptions,
    }) as unknown as Server;
  } catch (err) {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `the TLS certificate or key is not usable: ${describeError(err)}`,
    );
  }
}
