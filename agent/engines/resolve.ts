import { lookup as dnsLookup } from 'node:dns/promises';
import { DetourwatchError } from '../../protocol/errors.ts';
import { checkTargetAddress, type ParsedTarget, parseTarget } from '../../protocol/target.ts';
import type { IpVersion } from '../../protocol/trace.ts';
import type { ResolvedTarget } from './types.ts';

/** Resolves a hostname to one address of the given family (0: either). */
export type HostLookup = (name: string, family: 0 | IpVersion) => Promise<string>;

export const systemLookup: HostLookup = async (name, family) => (await dnsLookup(name, { family })).address;

export interface ResolveOptions {
  ipVersion?: IpVersion;
  allowSpecialTargets: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

function bounded<T>(work: Promise<T>, what: string, options: ResolveOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (why: string) => reject(new DetourwatchError('TARGET_REFUSED', `${what}: ${why}`));
    const timer = setTimeout(() => fail(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
    const onAbort = () => fail('the task was cancelled');
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    });
  });
}

/**
 * The lookup's answer as the address to trace. It must be a plain address: a zone (`fe80::1%eth0`) or any
 * other text is refused, naming the host it came from.
 */
function resolvedAddress(name: string, answer: string): ResolvedTarget {
  let resolved: ParsedTarget | { kind: 'refused'; err: unknown };
  try {
    resolved = parseTarget(answer);
  } catch (err) {
    resolved = { kind: 'refused', err };
  }
  if (resolved.kind === 'address') return { address: resolved.address, version: resolved.version };
  const shown = answer.length > 80 ? `${answer.slice(0, 80)}...` : answer;
  throw new DetourwatchError(
    'TARGET_REFUSED',
    `target ${JSON.stringify(name)} refused: it resolves to ${JSON.stringify(shown)}, not a plain IP address`,
    resolved.kind === 'refused' ? { cause: resolved.err } : undefined,
  );
}

/**
 * Turns a target string into the one address the tool will be given. Hostnames are resolved here, and the
 * resolved address goes through the same check as an address target (protocol/target.ts): a public name
 * that resolves to a private address, or to a 6to4, Teredo, NAT64 or IPv4-mapped form of one, is refused
 * before any packet leaves, and the tool traces exactly the address that was checked.
 */
export async function resolveTarget(
  input: string,
  options: ResolveOptions,
  lookup: HostLookup = systemLookup,
): Promise<ResolvedTarget> {
  const parsed = parseTarget(input);
  let target: ResolvedTarget;
  if (parsed.kind === 'address') {
    target = { address: parsed.address, version: parsed.version };
  } else {
    const what = `cannot resolve ${parsed.name}`;
    const address = await bounded(
      lookup(parsed.name, options.ipVersion ?? 0).catch((err: unknown) => {
        const code = (err as { code?: unknown }).code;
        throw new DetourwatchError(
          'TARGET_REFUSED',
          `${what}: ${typeof code === 'string' ? code : String(err)}`,
          {
            cause: err,
          },
        );
      }),
      what,
      options,
    );
    target = resolvedAddress(parsed.name, address);
  }
  if (options.ipVersion !== undefined && target.version !== options.ipVersion) {
    throw new DetourwatchError(
      'TARGET_REFUSED',
      `target ${input} is IPv${target.version} but an IPv${options.ipVersion} trace was asked for`,
    );
  }
  checkTargetAddress(target.address, options.allowSpecialTargets, input);
  return target;
}
