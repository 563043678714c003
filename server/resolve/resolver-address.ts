import { readIp } from '../../protocol/address/parse.ts';
import { badValue, quote } from '../../protocol/values/quote.ts';

/**
 * `--resolver HOST:PORT`: the DNS server the coordinator asks for reverse names, as node:dns setServers takes
 * it (`127.0.0.1`, `127.0.0.1:5353`, `::1`, `[::1]:5353`). An address, not a name: resolving the resolver
 * would need a resolver.
 */
export function parseResolverAddress(text: string): string {
  const t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  const v4WithPort = /^([0-9.]+):(\d+)$/.exec(t);
  const [host, port] = bracketed
    ? [bracketed[1] ?? '', bracketed[2]]
    : v4WithPort
      ? [v4WithPort[1] ?? '', v4WithPort[2]]
      : [t, undefined];
  if (readIp(host) === null) throw badValue(`${quote(text)} is not an IP address with an optional :PORT`);
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    throw badValue(`${quote(text)}: the port must be 1 to 65535`);
  return t;
}
