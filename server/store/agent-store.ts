import type { AgentLimits, EngineName, Position } from '../../protocol/messages.ts';

/** An agent's token connects a probe; an operator's API key steers probes and changes state (server/http/auth.ts). */
export const TOKEN_ROLES = ['agent', 'operator'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** A credential. The token itself is never stored, only its SHA-256. */
export interface TokenRecord {
  id: number;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  role: TokenRole;
  /** Who runs what the token connects (a person or organisation): witnesses of one owner are not independent. */
  owner: string | null;
}

/** What a new token is, besides its name: an agent's without an owner unless said. */
export interface NewToken {
  role?: TokenRole;
  owner?: string | null;
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
  /** Its token's owner. */
  owner: string | null;
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
  createToken(name: string, hash: string, at: string, token?: NewToken): Promise<TokenRecord>;
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
