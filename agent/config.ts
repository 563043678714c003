import path from 'node:path';
import { DetourwatchError } from '../protocol/errors.ts';
import type { AgentLimits, EngineName, Position } from '../protocol/messages.ts';
import { ENGINE_NAMES } from '../protocol/messages.ts';

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

type OptionName =
  | 'server'
  | 'token'
  | 'location'
  | 'max-concurrent'
  | 'max-per-minute'
  | 'engine'
  | 'outbox'
  | 'allow-special-targets';

const VALUE_OPTIONS: readonly OptionName[] = [
  'server',
  'token',
  'location',
  'max-concurrent',
  'max-per-minute',
  'engine',
  'outbox',
];
const FLAG_OPTIONS: readonly OptionName[] = ['allow-special-targets'];

/** Splits `--name value` / `--name=value` / `--flag` into a map, collecting every problem rather than the first. */
function tokenize(args: readonly string[], problems: string[]): Map<OptionName, string | true> {
  const seen = new Map<OptionName, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument "${arg}" (options start with --)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)) as OptionName;
    if (FLAG_OPTIONS.includes(name)) {
      if (eq !== -1) problems.push(`--${name} takes no value`);
      seen.set(name, true);
    } else if (VALUE_OPTIONS.includes(name)) {
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (i + 1 < args.length && !(args[i + 1] as string).startsWith('--')) value = args[++i];
      if (value === undefined) problems.push(`--${name} needs a value`);
      else {
        if (seen.has(name)) problems.push(`--${name} is given more than once`);
        seen.set(name, value);
      }
    } else {
      problems.push(`unknown option "${arg.slice(0, eq === -1 ? undefined : eq)}"`);
    }
  }
  return seen;
}

/** http(s) URLs are accepted too (the coordinator prints one): the agent endpoint shares the HTTP port. */
export function agentEndpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`"${raw}" is not a URL; expected e.g. ws://coordinator.example:8080`);
  }
  const schemes: Record<string, string> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };
  const scheme = schemes[url.protocol];
  if (!scheme) throw new Error(`"${raw}" must start with ws://, wss://, http:// or https://`);
  if (url.username || url.password)
    throw new Error('the server URL must not contain credentials; use --token');
  if (url.search || url.hash) throw new Error('the server URL must not contain a query or fragment');
  url.protocol = scheme;
  const base = url.pathname.replace(/\/+$/, '');
  url.pathname = base.endsWith(AGENT_ENDPOINT) ? base : `${base}${AGENT_ENDPOINT}`;
  return url.toString();
}

export function parseLocation(raw: string): Position {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(raw);
  if (!m) throw new Error(`"${raw}" is not LAT,LON in decimal degrees (e.g. 37.77,-122.42)`);
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  if (lat < -90 || lat > 90) throw new Error(`latitude ${lat} is outside -90..90`);
  if (lon < -180 || lon > 180) throw new Error(`longitude ${lon} is outside -180..180`);
  return { lat, lon };
}

function parseCount(raw: string, max: number): number {
  if (!/^\d+$/.test(raw)) throw new Error(`"${raw}" is not a whole number`);
  const n = Number(raw);
  if (n < 1 || n > max) throw new Error(`${n} is outside 1..${max}`);
  return n;
}

/** Tokens travel in an HTTP header: refuse what a header cannot carry, before the socket fails obscurely. */
function checkToken(token: string): void {
  if (token.length === 0) throw new Error('the token is empty');
  if (token.length > 512) throw new Error('the token is longer than 512 characters');
  if (!/^[\x21-\x7e]+$/.test(token))
    throw new Error('the token contains spaces or characters outside printable ASCII');
}

/**
 * Reads the agent's options (and the token from DETOURWATCH_TOKEN when --token is absent, so it need not
 * appear in `ps`). Every problem is reported in one USAGE error, one per line.
 */
export function parseAgentConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): AgentConfig {
  const problems: string[] = [];
  const opts = tokenize(args, problems);
  const value = (name: OptionName): string | undefined => {
    const v = opts.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const check = <T>(name: string, parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      return undefined;
    }
  };

  const rawServer = value('server');
  if (rawServer === undefined)
    problems.push('--server is required (the coordinator, e.g. ws://coordinator:8080)');
  const serverUrl =
    rawServer === undefined ? undefined : check('--server', () => agentEndpointUrl(rawServer));

  const token = value('token') ?? env[TOKEN_ENV];
  if (token === undefined) problems.push(`a token is required: set ${TOKEN_ENV} (preferred) or pass --token`);
  else check(value('token') !== undefined ? '--token' : TOKEN_ENV, () => checkToken(token));

  const rawLocation = value('location');
  const location = rawLocation === undefined ? null : check('--location', () => parseLocation(rawLocation));

  const rawConcurrent = value('max-concurrent');
  const maxConcurrent =
    rawConcurrent === undefined
      ? DEFAULT_LIMITS.maxConcurrent
      : check('--max-concurrent', () => parseCount(rawConcurrent, 1000));
  const rawPerMinute = value('max-per-minute');
  const maxPerMinute =
    rawPerMinute === undefined
      ? DEFAULT_LIMITS.maxPerMinute
      : check('--max-per-minute', () => parseCount(rawPerMinute, 100_000));

  const engine = value('engine') ?? 'auto';
  if (!(ENGINE_CHOICES as readonly string[]).includes(engine)) {
    problems.push(`--engine: "${engine}" is not one of ${ENGINE_CHOICES.join(', ')}`);
  }

  const rawOutbox = value('outbox');
  if (rawOutbox === '') problems.push('--outbox: the directory name is empty');
  const outboxDir = rawOutbox ? path.resolve(rawOutbox) : defaultOutboxDir(env, home);

  if (problems.length > 0) {
    const head = problems.length === 1 ? '' : `${problems.length} problems with the options:\n  `;
    throw new DetourwatchError('USAGE', `${head}${problems.join('\n  ')}\n(see detourwatch agent --help)`);
  }
  return {
    serverUrl: serverUrl as string,
    token: token as string,
    location: location ?? null,
    limits: { maxConcurrent: maxConcurrent as number, maxPerMinute: maxPerMinute as number },
    engine: engine as EngineChoice,
    outboxDir,
    allowSpecialTargets: opts.get('allow-special-targets') === true,
  };
}
