/**
 * What the coordinator keeps, behind an interface small enough that PostgreSQL can implement it later
 * (several coordinators sharing one database). Every method is async for that reason, even though the
 * embedded SQLite implementation answers synchronously. Times cross this interface as ISO 8601 strings.
 */

import type { StoredHop, TraceOrigin, TraceSummary } from '../../protocol/history-api.ts';
import type { AgentLimits, EngineName, Position } from '../../protocol/messages.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';

export type { StoredHop, TraceOrigin, TraceSummary };

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

/** One parsed trace and its verdict, ready to store. */
export interface TraceRecord {
  origin: TraceOrigin;
  agentId: string | null;
  trace: Trace;
  verdict: Verdict;
  /** Where the prober was (an Atlas probe's location); agents' traces take the agent's location. */
  sourcePosition?: { lat: number; lon: number } | null;
  /** The path's ASNs in order, from the annotated trace; what baselines compare. */
  pathAsns?: number[] | null;
}

/** An imported trace: `importKey` identifies it, so importing the same results twice stores them once. */
export interface ImportRecord extends TraceRecord {
  importKey: string;
}

/** A trace just written, with its row id, as the store hands it to the trace hook. */
export interface WrittenTrace {
  traceId: number;
  record: TraceRecord;
  /** Epoch ms, as stored. */
  startedAt: number;
}

/**
 * Called inside the transaction that wrote the traces (so what it derives, incidents and baselines, commits
 * or rolls back with them); what it returns runs after the commit (alerts must not go out for a rollback).
 */
export type TraceHook = (written: readonly WrittenTrace[]) => (() => void) | undefined;

/** A raw result exactly as an agent sent it, plus what parsing made of it. Stored even when it did not parse. */
export interface ResultRecord {
  resultId: string;
  agentId: string;
  taskId: string | null;
  target: string;
  engine: EngineName;
  startedAt: string;
  durationMs: number;
  receivedAt: string;
  output: string;
  /** Why (part of) the output could not be parsed or judged; null when every trace in it was. */
  error: string | null;
  traces: TraceRecord[];
}

/** `duplicate`: a result with this resultId was already stored; nothing was written. */
export type WriteOutcome = 'stored' | 'duplicate';

export interface StoredTrace extends TraceSummary {
  verdictDetail: Verdict;
  hops: StoredHop[];
}

export interface StoreCounts {
  tokens: number;
  agents: number;
  agentsConnected: number;
  results: number;
  resultsWithErrors: number;
  traces: number;
}

export interface Store {
  /** Where the data lives, for the startup log. */
  readonly description: string;

  createToken(name: string, hash: string, at: string): Promise<TokenRecord>;
  listTokens(): Promise<TokenRecord[]>;
  findTokenByHash(hash: string): Promise<TokenRecord | null>;
  revokeToken(id: number, at: string): Promise<RevokeOutcome>;

  /** Creates the token's agent on its first hello, updates it afterwards; marks it connected. */
  recordHello(hello: AgentHello): Promise<AgentRecord>;
  markDisconnected(agentId: string, lastSeen: string): Promise<void>;
  touchAgents(seen: { agentId: string; lastSeen: string }[]): Promise<void>;
  /** At startup: no agent is connected to a coordinator that was just started. */
  markAllDisconnected(): Promise<void>;
  getAgent(id: string): Promise<AgentRecord | null>;
  listAgents(): Promise<AgentRecord[]>;

  /** Writes every record in ONE transaction; resolves only once it is durable. Outcomes in input order. */
  writeResults(records: ResultRecord[]): Promise<WriteOutcome[]>;
  /** Of these import keys, those already stored. */
  knownImportKeys(keys: readonly string[]): Promise<Set<string>>;
  /** Writes imported traces in ONE transaction, skipping keys already stored; resolves with how many were new. */
  writeImported(records: readonly ImportRecord[]): Promise<number>;
  /** Derives more from each trace as it is stored (incidents, baselines); null removes the hook. */
  setTraceHook(hook: TraceHook | null): void;

  getTrace(id: number): Promise<StoredTrace | null>;
  /** Newest first. */
  listTraces(options: { limit: number }): Promise<TraceSummary[]>;
  counts(): Promise<StoreCounts>;

  close(): Promise<void>;
}
