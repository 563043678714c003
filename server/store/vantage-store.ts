import type { AgentLocationItem, LocationStatus } from '../../protocol/history-api.ts';

/**
 * What the coordinator believes about where its agents are (server/trust/vantage.ts decides, pure): per agent
 * its location status with the evidence, the facts that make it a witness (owner, address block, ASN, city),
 * an operator's override, and the lowest RTTs the network measured that bound its position. Times are epoch ms.
 */

export type SampleKind = 'first-hop' | 'mesh' | 'landmark';

/**
 * One RTT reading from a stored trace: agent `agentId` reached `subject` (a hop's address, another agent's id,
 * a landmark's address) in `rttMs`. A located reading carries the database's place; a mesh one does not (the
 * other agent's position is read when the agent is evaluated).
 */
export interface VantageSample {
  agentId: string;
  kind: SampleKind;
  subject: string;
  rttMs: number;
  lat: number | null;
  lon: number | null;
  asn: number | null;
  city: string | null;
  at: number;
}

export interface VantageOverride {
  by: string;
  note: string;
  at: number;
}

export interface VantageRecord {
  agentId: string;
  status: LocationStatus;
  /** What the fold reads of it (VantageFacts). */
  owner: string | null;
  addressPrefix: string | null;
  asn: number | null;
  city: string | null;
  /** The API's view: status, reason, evidence, override (times as ISO 8601 there). */
  location: AgentLocationItem;
  evaluatedAt: number;
}

/** An agent's stored traces in a window, and how many of them no real tool could print (issue 19). */
export interface TraceCounts {
  traces: number;
  implausible: number;
}

export interface VantageStore {
  getVantage(agentId: string): Promise<VantageRecord | null>;
  listVantages(): Promise<VantageRecord[]>;
  saveVantage(record: VantageRecord): Promise<void>;
  /** Every sample of the agent, and every mesh sample naming it as the other end. */
  vantageSamples(agentId: string): Promise<VantageSample[]>;
  /** Agents with samples newer than their last evaluation (or never evaluated), oldest first, at most `limit`. */
  vantagesToEvaluate(limit: number): Promise<string[]>;
  /** Records an operator's override; false when the agent does not exist. */
  setVantageOverride(agentId: string, override: VantageOverride): Promise<boolean>;
  getVantageOverride(agentId: string): Promise<VantageOverride | null>;
  /** The agent's traces started at or after `since` (epoch ms; 0 for all), and how many are implausible. */
  traceCounts(agentId: string, since: number): Promise<TraceCounts>;
  /** Every agent's implausible traces, ever; an agent without any is absent. */
  implausibleCounts(): Promise<Map<string, number>>;
}
