/**
 * Debian's dnsmasq (dnsmasq-base) as a throw-away DNS server on 127.0.0.1: PTR records the test writes, every
 * query logged to stderr, so a test can count what the resolver really asked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { arpaName } from '../../server/resolve/arpa-name.ts';
import { type Requirement, requirement, rootUsable } from '../helpers/skips.ts';

export const DNSMASQ = '/usr/sbin/dnsmasq';

/** dnsmasq installed, and root (it runs with --user=root). */
export function dnsmasqUsable(): Requirement[] {
  return [
    requirement(existsSync(DNSMASQ), 'no dnsmasq', `${DNSMASQ} is absent (apt-get install dnsmasq-base)`),
    rootUsable(),
  ];
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** A UDP socket that receives queries and never answers: a DNS server that is not there. */
export async function silentServer(): Promise<{
  address: string;
  received: () => number;
  close: () => Promise<void>;
}> {
  const socket: Socket = createSocket('udp4');
  let received = 0;
  socket.on('message', () => {
    received += 1;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    received: () => received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

export interface Dnsmasq {
  /** `127.0.0.1:PORT`, as --resolver and setServers take it. */
  address: string;
  /** PTR queries dnsmasq logged for this address so far. */
  queriesFor(address: string): number;
  stop(): Promise<void>;
}

async function until(what: string, met: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!met()) {
    if (Date.now() > deadline) throw new Error(`dnsmasq: ${what} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts dnsmasq with one PTR record per [address, name] (an address may have several). */
export async function startDnsmasq(
  records: ReadonlyArray<[address: string, name: string]>,
): Promise<Dnsmasq> {
  const port = await freeUdpPort();
  const child: ChildProcess = spawn(
    DNSMASQ,
    [
      '--no-daemon',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      '--listen-address',
      '127.0.0.1',
      '--port',
      String(port),
      '--user=root',
      '--log-queries',
      '--log-facility=-',
      // Authoritative for the reverse zones: an address without a record is NXDOMAIN, not REFUSED.
      '--local=/in-addr.arpa/',
      '--local=/ip6.arpa/',
      ...records.map(([address, name]) => `--ptr-record=${arpaName(address)},${name}`),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  let exited: string | null = null;
  child.stdout?.on('data', (chunk) => {
    log += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    log += String(chunk);
  });
  child.on('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  await until('start', () => exited !== null || /started, version/.test(log), 10_000);
  if (exited !== null) throw new Error(`dnsmasq ${exited}:\n${log}`);
  return {
    address: `127.0.0.1:${port}`,
    queriesFor(address) {
      const needle = `query[PTR] ${arpaName(address)} from`;
      return log.split('\n').filter((line) => line.includes(needle)).length;
    },
    async stop() {
      if (exited !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
