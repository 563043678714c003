/**
 * Several coordinators on one database (issue 12): which coordinator runs which agent, and a way to reach
 * another coordinator. An agent (one per token) is held by exactly one coordinator instance through a lease
 * row (token id, instance id, expires_at), taken when the agent connects, renewed while it stays, deleted when
 * it leaves; a lease past its expiry belongs to nobody (its coordinator died), and the next connection takes it.
 * Times are epoch ms on the calling coordinator's clock: coordinators must keep their clocks in sync (NTP).
 */

/** Who holds an agent's lease, and until when. */
export interface LeaseHolder {
  instanceId: string;
  expiresAt: number;
}

export type LeaseOutcome = { taken: true; expiresAt: number } | { taken: false; holder: LeaseHolder };

/** Messages between coordinators: what one sends, every coordinator listening receives (itself included). */
export interface PeerChannel {
  send(message: string): Promise<void>;
  close(): Promise<void>;
}

/** This instance among the coordinators of one store, until it leaves. */
export interface ClusterMembership {
  channel: PeerChannel | null;
  leave(): Promise<void>;
}

export interface LeaseStore {
  /**
   * Takes the lease of the token's agent for `instanceId` until `now + leaseMs`: when nobody holds it, when
   * this instance already does, when the holder's lease expired, or when its holder is known dead (see
   * joinCluster). Otherwise answers who holds it.
   */
  acquireLease(tokenId: number, instanceId: string, now: number, leaseMs: number): Promise<LeaseOutcome>;
  /** Moves every lease of this instance to `now + leaseMs`; answers the token ids it still holds. */
  renewLeases(instanceId: string, now: number, leaseMs: number): Promise<number[]>;
  /** Gives the lease up (the agent left this instance); a lease another instance took is left alone. */
  releaseLease(tokenId: number, instanceId: string): Promise<void>;
  /** The coordinator holding the agent (by agent id) now; null when no live lease (of a live holder) names it. */
  leaseHolderOfAgent(agentId: string, now: number): Promise<LeaseHolder | null>;
  /**
   * Agents shown connected without a live lease (their coordinator stopped or died) are marked disconnected;
   * answers how many. With one coordinator at its start, that is every agent.
   */
  markUnleasedDisconnected(now: number): Promise<number>;
  /**
   * Joins the coordinators of this store as `instanceId`, so the others can tell it is alive: a lease whose
   * holder is known dead (PostgreSQL: no connection of that instance is open; SQLite: its process on this
   * machine is gone) is taken over at once instead of at its expiry. The membership carries the channel
   * between coordinators (PostgreSQL LISTEN/NOTIFY), delivering each message to `onMessage`; null where the
   * engine has none (SQLite: the coordinators of one file cannot reach each other).
   */
  joinCluster(
    instanceId: string,
    onMessage: (message: string) => void,
    log: (line: string) => void,
  ): Promise<ClusterMembership>;
}
