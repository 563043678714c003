import { DetourwatchError } from '../../protocol/errors.ts';
import type { Hop, Reply } from '../../protocol/trace.ts';
import { MAX_TTL } from './limits.ts';

/**
 * Gathers replies into one Hop per TTL, in TTL order, with the hop and reply bounds enforced. Tools almost
 * always report TTLs in increasing order, so that case is a push; out-of-order TTLs (tracepath's late
 * answers, MDA link sets) take the slower sorted insert.
 */
export class HopCollector {
  private readonly list: Hop[] = [];

  constructor(
    private readonly where: string,
    private readonly maxRepliesPerHop: number,
  ) {}

  /** The hop for `ttl`, created empty if needed. Throws for TTLs outside 1-255. */
  hop(ttl: number): Hop {
    const last = this.list[this.list.length - 1];
    if (last !== undefined && last.ttl === ttl) return last;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) {
      throw new DetourwatchError(
        'PARSE_FAILED',
        `${this.where}: hop number ${ttl} is outside 1-${MAX_TTL} (TTL is an 8-bit field)`,
      );
    }
    if (last === undefined || ttl > last.ttl) {
      const hop: Hop = { ttl, replies: [] };
      this.list.push(hop);
      return hop;
    }
    let i = this.list.length - 1;
    while (i > 0 && (this.list[i - 1] as Hop).ttl >= ttl) i--;
    const found = this.list[i] as Hop;
    if (found.ttl === ttl) return found;
    const hop: Hop = { ttl, replies: [] };
    this.list.splice(i, 0, hop);
    return hop;
  }

  add(ttl: number, reply: Reply): void {
    const hop = this.hop(ttl);
    if (hop.replies.length >= this.maxRepliesPerHop) {
      throw new DetourwatchError(
        'INPUT_TOO_LARGE',
        `${this.where}: hop ${ttl} has more than ${this.maxRepliesPerHop} replies; no real traceroute sends that many probes to one TTL`,
      );
    }
    hop.replies.push(reply);
  }

  hops(): Hop[] {
    return this.list;
  }
}
