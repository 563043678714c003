import { DetourwatchError } from '../../protocol/errors.ts';
import type { MaintenanceItem } from '../../protocol/maintenance-api.ts';
import { parseDurationIn } from '../../protocol/values/duration.ts';
import { parseInstant } from '../../protocol/values/instant.ts';
import { ParameterError } from '../history/parameter-error.ts';
import type { IncidentEvent } from '../incidents/types.ts';
import { type Cidr, parseCidr } from '../net/client-address.ts';
import type { MaintenanceWindow, NewMaintenanceWindow } from '../store/maintenance-store.ts';

/**
 * Maintenance windows, pure (issue 14). A window for an agent silences the alerts of an incident that agent
 * witnessed with a trace measured inside the window; a window for a target (an address or a prefix) silences
 * those of an incident whose destination prefix overlaps it and whose detours were seen inside the window.
 * Measured time, not arrival: a late result measured during the window is silenced too. Detection and
 * incidents go on; only the webhook is not called, and its delivery record names the window.
 */

/** The longest window: maintenance that lasts longer is an agent to retire, not to silence. */
export const MAX_WINDOW_MS = 90 * 86_400_000;
const MAX_REASON_CHARS = 200;

const overlaps = (from: number, to: number, w: MaintenanceWindow) => from < w.endsAt && to >= w.startsAt;

function widthOf(c: Cidr): bigint {
  return c.version === 4 ? 32n : 128n;
}

/** Whether two networks share an address. */
export function networksOverlap(a: Cidr, b: Cidr): boolean {
  if (a.version !== b.version) return false;
  const shift = widthOf(a) - BigInt(Math.min(a.prefix, b.prefix));
  return a.bits >> shift === b.bits >> shift;
}

/** The first window (lowest id) that silences this event, or null. */
export function silencingWindow(
  windows: readonly MaintenanceWindow[],
  event: IncidentEvent,
): MaintenanceWindow | null {
  const i = event.incident;
  let prefix: Cidr | null = null;
  try {
    prefix = parseCidr(i.destinationPrefix);
  } catch {
    prefix = null;
  }
  const found = windows.filter((w) => {
    if (w.agentId !== null) {
      const seen = i.witnesses.filter((x) => x.agentId === w.agentId);
      // The incident's first vantage is always a witness; an incident stored without its list still names it.
      if (seen.length === 0 && i.agentId === w.agentId) return overlaps(i.firstSeen, i.lastSeen, w);
      return seen.some((x) => overlaps(x.firstSeen, x.lastSeen, w));
    }
    if (w.target === null || prefix === null) return false;
    let target: Cidr;
    try {
      target = parseCidr(w.target);
    } catch {
      return false;
    }
    return networksOverlap(target, prefix) && overlaps(i.firstSeen, i.lastSeen, w);
  });
  return found.sort((a, b) => a.id - b.id)[0] ?? null;
}

/** What the delivery record says. */
export function silencedBy(w: MaintenanceWindow): string {
  return `silenced by maintenance window #${w.id} (${w.reason})`;
}

/** The agent a window names: its id, or the one agent with that name. */
export function resolveAgent(agents: readonly { id: string; name: string }[], text: string): string {
  const byId = agents.find((a) => a.id === text);
  if (byId) return byId.id;
  const named = agents.filter((a) => a.name === text);
  if (named.length === 1 && named[0]) return named[0].id;
  if (named.length > 1) {
    throw new DetourwatchError(
      'USAGE',
      `${named.length} agents are named "${text.slice(0, 60)}": give the id (${named.map((a) => a.id).join(', ')})`,
    );
  }
  throw new DetourwatchError('NOT_FOUND', `no agent with the id or name "${text.slice(0, 60)}"`);
}

/** A window as typed (CLI flags, the API's JSON body): each field by the name of its flag and body key. */
export interface WindowRequest {
  agent?: string | undefined;
  target?: string | undefined;
  from?: string | undefined;
  until?: string | undefined;
  for?: string | undefined;
  reason?: string | undefined;
}

/**
 * A checked window, ready to store: one of agent (an id or a unique name of `agents`) or target (an address
 * or ADDRESS/LEN), from (default now) until a time or for a duration, at most 90 days, not over already, and a
 * printable one-line reason. Errors name the field (ParameterError: the API's `parameter`, the CLI's flag).
 */
export function windowFromRequest(
  r: WindowRequest,
  agents: readonly { id: string; name: string }[],
  now: number,
): NewMaintenanceWindow {
  const field = <T>(name: string, read: () => T): T => {
    try {
      return read();
    } catch (err) {
      if (err instanceof ParameterError) throw err;
      throw new ParameterError(name, err instanceof DetourwatchError ? err.message : String(err));
    }
  };
  if ((r.agent === undefined) === (r.target === undefined))
    throw new ParameterError('agent', 'give an agent (id or name) or a target (IP or IP/LEN), one of them');
  const agentId = r.agent === undefined ? null : field('agent', () => resolveAgent(agents, r.agent ?? ''));
  let target: string | null = null;
  if (r.target !== undefined) {
    const c = field('target', () => parseCidr(r.target ?? ''));
    target = c.text.includes('/') ? c.text : `${c.text}/${c.version === 4 ? 32 : 128}`;
  }
  const startsAt = r.from === undefined ? now : field('from', () => parseInstant(r.from ?? '', now));
  if ((r.until === undefined) === (r.for === undefined))
    throw new ParameterError('until', 'give an end (until TIME) or a length (for DURATION), one of them');
  const endsAt =
    r.until === undefined
      ? startsAt + field('for', () => parseDurationIn(r.for ?? '', { min: 60_000, max: MAX_WINDOW_MS }))
      : field('until', () => parseInstant(r.until ?? '', now));
  if (!(endsAt > startsAt)) throw new ParameterError('until', 'the window must end after it starts');
  if (endsAt - startsAt > MAX_WINDOW_MS) throw new ParameterError('until', 'a window lasts at most 90 days');
  if (endsAt <= now) throw new ParameterError('until', 'the window has ended already');
  const reason = (r.reason ?? '').trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (reason === '' || reason.length > MAX_REASON_CHARS || /[\x00-\x1f\x7f]/.test(reason)) {
    throw new ParameterError('reason', `1 to ${MAX_REASON_CHARS} printable characters on one line`);
  }
  return { agentId, target, startsAt, endsAt, reason, createdAt: now };
}

/** A window as the API and the CLI show it. */
export function maintenanceItem(
  w: MaintenanceWindow,
  agents: readonly { id: string; name: string }[],
  now: number,
): MaintenanceItem {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: w.id,
    agentId: w.agentId,
    agentName: w.agentId === null ? null : (agents.find((a) => a.id === w.agentId)?.name ?? null),
    target: w.target,
    startsAt: iso(w.startsAt),
    endsAt: iso(w.endsAt),
    reason: w.reason,
    createdAt: iso(w.createdAt),
    active: w.startsAt <= now && now < w.endsAt,
  };
}
