import { describeError } from '../../protocol/errors.ts';
import type { LeaseStore } from '../store/lease-store.ts';

/** How long an agent's lease lasts without renewal (`serve --lease`); renewed every third of it. */
export const DEFAULT_LEASE_MS = 20_000;

/**
 * A newcomer whose agent another coordinator holds waits at most this long for that lease to end or be
 * renewed: under the agent's 15 s handshake limit, and longer than a renewal interval of the default lease.
 */
const MAX_CLAIM_WAIT_MS = 10_000;
const CLAIM_POLL_MS = 500;

/**
 * What a new connection's lease claim found: `taken` (this coordinator runs the agent now), `held` (another
 * coordinator renewed its lease meanwhile: it is alive and runs the agent), `unsure` (the other's lease neither
 * ended nor was renewed within the wait: ask again shortly).
 */
export type LeaseClaim = 'taken' | 'held' | 'unsure';

export interface LeaseKeeperOptions {
  store: Pick<LeaseStore, 'acquireLease' | 'renewLeases' | 'releaseLease' | 'markUnleasedDisconnected'>;
  instanceId: string;
  leaseMs?: number;
  now?: () => number;
  log?: (line: string) => void;
  /** Leases this instance held and another took (this one failed to renew in time): drop those agents. */
  onLost?: (tokenIds: number[]) => void;
}

export interface LeaseKeeper {
  readonly instanceId: string;
  readonly leaseMs: number;
  /**
   * The lease of the token's agent for a new connection: at once when nobody, this instance or an expired
   * lease holds it; when another coordinator holds it, waits (bounded) until that lease ends or is renewed.
   * `stillWanted` false stops the wait (the connection closed).
   */
  claim(tokenId: number, stillWanted: () => boolean): Promise<LeaseClaim>;
  /** The agent left this instance: its lease goes. */
  release(tokenId: number): Promise<void>;
  /** Clears agents shown connected with no live lease, then renews this instance's leases periodically. */
  start(): Promise<void>;
  /** Stops renewing and releases what is still held (call it after the hub closed its connections). */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The agent leases of one coordinator instance (store/lease-store.ts says what a lease is). Each renewal also
 * marks disconnected the agents whose coordinator died (their leases expired), so the API of every
 * coordinator shows them as they are.
 */
export function createLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const { store, instanceId } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const held = new Set<number>();
  let timer: NodeJS.Timeout | null = null;
  let renewing: Promise<void> | null = null;

  async function renew(): Promise<void> {
    const still = new Set(await store.renewLeases(instanceId, now(), leaseMs));
    const lost = [...held].filter((t) => !still.has(t));
    for (const t of lost) held.delete(t);
    if (lost.length > 0) {
      log(
        `cluster: lost the lease of ${lost.length} agent(s) to another coordinator (token ${lost.join(', ')})`,
      );
      options.onLost?.(lost);
    }
    await store.markUnleasedDisconnected(now());
  }

  return {
    instanceId,
    leaseMs,
    async claim(tokenId, stillWanted) {
      let seen: number | null = null;
      const deadline = now() + Math.min(leaseMs, MAX_CLAIM_WAIT_MS);
      for (;;) {
        const outcome = await store.acquireLease(tokenId, instanceId, now(), leaseMs);
        if (outcome.taken) {
          held.add(tokenId);
          return 'taken';
        }
        // Released between the upsert and the look: nobody holds it now.
        if (outcome.holder.instanceId === '') continue;
        const { expiresAt } = outcome.holder;
        if (seen !== null && expiresAt > seen) return 'held';
        seen ??= expiresAt;
        const t = now();
        if (t >= deadline || !stillWanted()) return 'unsure';
        await sleep(Math.max(1, Math.min(CLAIM_POLL_MS, expiresAt - t + 1, deadline - t)));
        if (!stillWanted()) return 'unsure';
      }
    },
    async release(tokenId) {
      held.delete(tokenId);
      await store.releaseLease(tokenId, instanceId);
    },
    async start() {
      const cleared = await store.markUnleasedDisconnected(now());
      if (cleared > 0)
        log(`cluster: ${cleared} agent(s) shown connected without a live lease marked disconnected`);
      timer = setInterval(
        () => {
          if (renewing) return;
          renewing = renew()
            .catch((err: unknown) => log(`cluster: cannot renew agent leases: ${describeError(err)}`))
            .finally(() => {
              renewing = null;
            });
        },
        Math.max(50, Math.floor(leaseMs / 3)),
      );
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = null;
      await renewing;
      for (const tokenId of [...held]) {
        await this.release(tokenId).catch((err: unknown) =>
          log(`cluster: cannot release the lease of token ${tokenId}: ${describeError(err)}`),
        );
      }
    },
  };
}
