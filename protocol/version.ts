/** The wire protocol's version: the coordinator refuses agents that speak another major version. */
export const PROTOCOL_VERSION = 1;

/** This release of detourwatch (agent and coordinator ship together). */
export const AGENT_VERSION = '0.1.0';
