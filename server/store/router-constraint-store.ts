/**
 * What the network has measured of where each router address can be (issue 15, item 3): per address and
 * agent, the lowest RTT that agent's traces ever saw from it, with the agent's position when it measured it.
 * One row per (address, agent), so the table grows with what agents reach, not with traces. Rows are written
 * in the transaction that stores the traces (sqlite/traces.ts, pg/traces.ts); reads return only agents whose
 * location status is `verified` NOW, so an agent later found contradicted stops constraining anything, and
 * one verified later starts to. Times are epoch ms.
 */

/** One verified vantage point's bound on an address: it answered `agentId` in `minRttMs` at best. */
export interface RouterConstraint {
  agentId: string;
  /** The agent's name (its token's), for evidence: "the seattle-1 agent". */
  agentName: string;
  /** Where the agent was when it measured `minRttMs`. */
  lat: number;
  lon: number;
  minRttMs: number;
  /** When that lowest RTT was measured (the trace's start). */
  at: number;
}

/** One reading a stored trace gives: agent `agentId` at (lat, lon) saw `ip` answer in `rttMs`. */
export interface RouterReading {
  ip: string;
  agentId: string;
  rttMs: number;
  lat: number;
  lon: number;
  at: number;
  /** The reverse name the trace carried for `ip` (printed by the tool or resolved before judging). */
  name: string | null;
}

export interface RouterConstraintStore {
  /** The verified agents' lowest RTTs to `ip`, lowest first; empty when none is known. */
  routerConstraints(ip: string): Promise<RouterConstraint[]>;
  /** The same for many addresses in one read; every asked address is a key (empty list when none). */
  routerConstraintsFor(ips: readonly string[]): Promise<Map<string, RouterConstraint[]>>;
  /** The latest reverse name any agent's trace carried for `ip`, or null (what the location report reads). */
  routerName(ip: string): Promise<string | null>;
}
