import type { ResultRefusal } from '../../protocol/messages.ts';

/** What the hub counts. Global counters cover every socket; per-agent ones only sockets past `hello`. */
export const HUB_COUNTERS = [
  /** Sockets upgraded (global only: the agent is not known yet). */
  'connections',
  /** Sessions welcomed after a valid hello. */
  'sessions',
  'authFailures',
  /** A valid token of the wrong role (an operator's API key) on the agents' endpoint. */
  'wrongRole',
  'versionRefused',
  /** A hello claiming a location that cannot be a vantage point (server/trust/claimed-location.ts). */
  'locationRefused',
  'malformed',
  'oversized',
  'tooManyErrors',
  'heartbeatTimeouts',
  'slowConsumers',
  /** An old connection that failed the liveness ping and gave way to a new one with its token. */
  'replaced',
  /** A second connection refused (4009): the agent's connection answered the liveness ping. */
  'alreadyConnected',
  /** A handler threw; that one connection was closed with 1011. */
  'internalErrors',
  'resultsReceived',
  /** Answered `retry`: not stored (store busy or failing); the agent sends it again. */
  'resultsRetried',
  /** Refused (protocol/messages.ts RESULT_REFUSALS): never stored; the agent deletes it. Then one per reason. */
  'resultsRefused',
  'refusedUnrequested',
  'refusedForeign',
  'refusedLate',
  'refusedReplayed',
  'refusedTimeInvalid',
  'refusedTargetMismatch',
  'tasksSent',
  'tasksFailed',
] as const;

export type HubCounter = (typeof HUB_COUNTERS)[number];

/** The counter of each refusal reason. */
export const REFUSAL_COUNTER = {
  RESULT_UNREQUESTED: 'refusedUnrequested',
  RESULT_FOREIGN: 'refusedForeign',
  RESULT_LATE: 'refusedLate',
  RESULT_REPLAYED: 'refusedReplayed',
  RESULT_TIME_INVALID: 'refusedTimeInvalid',
  RESULT_TARGET_MISMATCH: 'refusedTargetMismatch',
} as const satisfies Record<ResultRefusal, HubCounter>;
export type Counters = Record<HubCounter, number>;

export interface HubMetrics {
  count(counter: HubCounter, agentId?: string | null): void;
  global(): Counters;
  agent(agentId: string): Counters;
}

function zero(): Counters {
  return Object.fromEntries(HUB_COUNTERS.map((c) => [c, 0])) as Counters;
}

/** In-memory counters since the coordinator started (a restart resets them; stored data is in the store). */
export function createHubMetrics(): HubMetrics {
  const all = zero();
  const perAgent = new Map<string, Counters>();
  return {
    count(counter, agentId) {
      all[counter] += 1;
      if (!agentId) return;
      let mine = perAgent.get(agentId);
      if (!mine) {
        mine = zero();
        perAgent.set(agentId, mine);
      }
      mine[counter] += 1;
    },
    global: () => ({ ...all }),
    agent: (agentId) => ({ ...(perAgent.get(agentId) ?? zero()) }),
  };
}
