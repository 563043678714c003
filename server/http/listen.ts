import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';

/** A host as it goes into a URL: IPv6 addresses in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Listens on host:port (0: any free port) and resolves with the bound port; CONFIG_INVALID when it cannot. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE' ? 'the port is in use (pick another with --port)' : describeError(err);
      reject(
        new DetourwatchError('CONFIG_INVALID', `cannot listen on ${host}:${port}: ${why}`, { cause: err }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
