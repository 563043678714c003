import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../server/alerts/signature.ts';

export interface Received {
  body: string;
  headers: IncomingMessage['headers'];
  signatureValid: boolean;
  status: number;
}

/**
 * A webhook receiver on 127.0.0.1 that answers the given statuses in turn (the last one repeats), and checks
 * each request's signature with the shared secret the way an operator's receiver would.
 */
export async function startReceiver(
  secret: string,
  statuses: number[],
): Promise<{
  url: string;
  received: Received[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      const status = statuses[Math.min(received.length, statuses.length - 1)] ?? 200;
      const signatureValid = verifySignature(
        secret,
        body,
        req.headers['x-detourwatch-signature'] as string | undefined,
      );
      received.push({ body, headers: req.headers, signatureValid, status });
      res.writeHead(signatureValid ? status : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/detourwatch?token=s3cr3t-path`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
