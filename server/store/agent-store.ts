import type { AgentLimits, EngineName, Position } from '../../protocol/messages.ts';

/** An agent credential. The token itself is never stored, only its SHA-256. */
export interface TokenRecord {
  id: number;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

export type RevokeOutcome = 'revoked' | 'already-revoked' | 'not-found';

export interface AgentRecord {
  id: string;
  tokenId: number;
  name: string;
  location: Position | null;
  engines: EngineName[];
  limits: AgentLimits | null;
  agentVersion: string | null;
  protocolVersion: number | null;
  /** The address the coordinator last saw the agent's socket come from. */
  address: string | null;
  connected: boolean;
  firstSeen: string;
  lastSeen: string;
}

/** What an agent's `hello` (plus the socket it came on) tells the store. */
export interface AgentHello {
  tokenId: number;
  name: string;
  location: Position | null;
  engines: EngineName[];
  limits: AgentLimits;
  agentVersion: string;
  protocolVersion: number;
  address: string | null;
  at: string;
}

/** Tokens and the agents that authenticated with them. Times are ISO 8601 strings. */
export interface AgentStore {
  createToken(name: string, hash: string, at: string): Promise<TokenRecord>;
  listTokens(): Promise<TokenRecord[]>;
  findTokenByHash(hash: string): Promise<TokenRecord | null>;
  revokeToken(id: number, at: string): Promise<RevokeOutcome>;

  /** Creates the token's agent on its first hello, updates it afterwards; marks it connected. */
  recordHello(hello: AgentHello): Promise<AgentRecord>;
  markDisconnected(agentId: string, lastSeen: string): Promise<void>;
  /** Moves each agent's last_seen forward (never back). */
  touchAgents(seen: { agentId: string; lastSeen: string }[]): Promise<void>;
  /** At startup: no agent is connected to a coordinator that was just started. */
  markAllDisconnected(): Promise<void>;
  getAgent(id: string): Promise<AgentRecord | null>;
  listAgents(): Promise<AgentRecord[]>;
}
