import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DetourwatchError, describeError } from '../protocol/errors.ts';
import type { AgentLimits, EngineName, Position } from '../protocol/messages.ts';
import { ENGINE_NAMES } from '../protocol/messages.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseChoice } from '../protocol/values/choice.ts';
import { parseLatLon } from '../protocol/values/lat-lon.ts';
import { parseIntIn } from '../protocol/values/number.ts';
import { quote } from '../protocol/values/quote.ts';

export type EngineChoice = 'auto' | EngineName;
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', ...ENGINE_NAMES];

export interface AgentConfig {
  /** The full WebSocket URL of the coordinator's agent endpoint. */
  serverUrl: string;
  token: string;
  location: Position | null;
  limits: AgentLimits;
  engine: EngineChoice;
  outboxDir: string;
  allowSpecialTargets: boolean;
  /** `--ca FILE`: a private CA's PEM for a wss:// coordinator; null: the system's CAs. */
  ca: Buffer | null;
}

function readCa(text: string): Buffer {
  try {
    const pem = readFileSync(path.resolve(text));
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (err) {
    throw new DetourwatchError('USAGE', `cannot use ${text} as a CA certificate: ${describeError(err)}`);
  }
}

export const AGENT_ENDPOINT = '/api/v1/agent';
export const DEFAULT_LIMITS: AgentLimits = { maxConcurrent: 2, maxPerMinute: 30 };
export const TOKEN_ENV = 'DETOURWATCH_TOKEN';

/**
 * The outbox lives in the XDG state directory: results waiting for delivery are state that must outlive
 * restarts but is not configuration, and a volunteer's agent should not depend on its working directory.
 */
export function defaultOutboxDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const stateHome = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : null;
  return path.join(stateHome ?? path.join(home, '.local', 'state'), 'detourwatch', 'outbox');
}

/** http(s) URLs are accepted too (the coordinator prints one): the agent endpoint shares the HTTP port. */
export function agentEndpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DetourwatchError(
      'USAGE',
      `${quote(raw)} is not a URL; expected e.g. ws://coordinator.example:8080`,
    );
  }
  const schemes: Record<string, string> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };
  const scheme = schemes[url.protocol];
  if (!scheme)
    throw new DetourwatchError('USAGE', `${quote(raw)} must start with ws://, wss://, http:// or https://`);
  if (url.username || url.password)
    throw new DetourwatchError('USAGE', 'the server URL must not contain credentials; use --token');
  if (url.search || url.hash)
    throw new DetourwatchError('USAGE', 'the server URL must not contain a query or fragment');
  url.protocol = scheme;
  const base = url.pathname.replace(/\/+$/, '');
  url.pathname = base.endsWith(AGENT_ENDPOINT) ? base : `${base}${AGENT_ENDPOINT}`;
  return url.toString();
}

/** Tokens travel in an HTTP header: refuse what a header cannot carry, before the socket fails obscurely. */
function parseToken(token: string): string {
  if (token.length === 0) throw new DetourwatchError('USAGE', 'the token is empty');
  if (token.length > 512) throw new DetourwatchError('USAGE', 'the token is longer than 512 characters');
  if (!/^[\x21-\x7e]+$/.test(token))
    throw new DetourwatchError('USAGE', 'the token contains spaces or characters outside printable ASCII');
  return token;
}

function parseOutboxDir(text: string): string {
  if (text === '') throw new DetourwatchError('USAGE', 'the directory name is empty');
  return path.resolve(text);
}

const AGENT_OPTIONS = {
  server: { type: 'string', parse: agentEndpointUrl },
  token: { type: 'string', env: TOKEN_ENV, parse: parseToken },
  location: { type: 'string', parse: parseLatLon },
  'max-concurrent': {
    type: 'string',
    parse: (t: string) => parseIntIn(t, 1, 1000),
    default: DEFAULT_LIMITS.maxConcurrent,
  },
  'max-per-minute': {
    type: 'string',
    parse: (t: string) => parseIntIn(t, 1, 100_000),
    default: DEFAULT_LIMITS.maxPerMinute,
  },
  engine: { type: 'string', parse: (t: string) => parseChoice(t, ENGINE_CHOICES), default: 'auto' },
  outbox: { type: 'string', parse: parseOutboxDir },
  'allow-special-targets': { type: 'boolean' },
  ca: { type: 'string', env: 'DETOURWATCH_CA', parse: readCa },
} as const satisfies OptionSpecs;

/**
 * Reads the agent's options (and the token from DETOURWATCH_TOKEN when --token is absent, so it need not
 * appear in `ps`). Every problem is reported in one USAGE error.
 */
export function parseAgentConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  program = 'detourwatch agent',
): AgentConfig {
  const { values, problems, source } = readOptions(AGENT_OPTIONS, args, env);
  if (source('server') === null)
    problems.add('--server is required (the coordinator, e.g. ws://coordinator:8080)');
  if (source('token') === null)
    problems.add(`a token is required: set ${TOKEN_ENV} (preferred) or pass --token`);
  problems.throwIfAny('agent', program);
  return {
    serverUrl: values.server as string,
    token: values.token as string,
    location: values.location ?? null,
    limits: { maxConcurrent: values['max-concurrent'], maxPerMinute: values['max-per-minute'] },
    engine: values.engine,
    outboxDir: values.outbox ?? defaultOutboxDir(env, home),
    allowSpecialTargets: values['allow-special-targets'],
    ca: values.ca ?? null,
  };
}
