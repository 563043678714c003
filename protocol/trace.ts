/**
 * The canonical traceroute: what every parser produces and everything downstream consumes.
 * It keeps every reply the tool reported (several responders per TTL, timeouts, flags, MPLS labels),
 * so that no later stage needs the tool's original output.
 */

/** The tool whose output a trace came from. */
export const TRACE_TOOLS = ['scamper', 'mtr', 'traceroute', 'atlas'] as const;
export type TraceTool = (typeof TRACE_TOOLS)[number];

/** How probes were sent. `-paris` methods keep the flow identifier constant, so every probe follows one path. */
export const PROBE_METHODS = [
  'icmp-paris',
  'udp-paris',
  'tcp-paris',
  'icmp',
  'udp',
  'tcp',
  'unknown',
] as const;
export type ProbeMethod = (typeof PROBE_METHODS)[number];

export type IpVersion = 4 | 6;

/**
 * Why a reply is not a plain "time exceeded" or echo reply. Normalised from traceroute's `!H`-style
 * marks, Atlas `err` codes and scamper/mtr ICMP type/code pairs; the tool's own text is kept in `rawFlag`.
 */
export type ReplyFlag =
  | 'host-unreachable'
  | 'network-unreachable'
  | 'protocol-unreachable'
  | 'port-unreachable'
  | 'admin-prohibited'
  | 'fragmentation-needed'
  | 'source-route-failed'
  | 'other';

export interface MplsLabel {
  label: number;
  /** Traffic class (formerly EXP) bits. */
  tc: number;
  /** Bottom-of-stack bit. */
  s: boolean;
  ttl: number;
}

/** One probe's outcome at one TTL. */
export interface Reply {
  /**
   * The responding address, or null when the probe timed out ("*"). Also null (with `name` and `rttMs` set) when
   * the tool printed only a name (tracepath, mtr without -n): such a reply answered but cannot be located.
   */
  address: string | null;
  /** Round-trip time in milliseconds, null when no answer or the tool did not report one. */
  rttMs: number | null;
  /** Reverse-DNS name the tool printed, if any. Untrusted text. */
  name?: string;
  icmpType?: number;
  icmpCode?: number;
  flag?: ReplyFlag;
  /** The tool's own flag text: `!H`, `!X`, Atlas `err` value, ... */
  rawFlag?: string;
  /** IP TTL of the reply as received. */
  replyTtl?: number;
  mpls?: MplsLabel[];
  /** Origin AS the tool itself printed (traceroute -A, mtr -z): the tool's own lookup, a hint, not evidence. */
  asn?: number;
  /**
   * Which probe to this TTL the reply answers, from 1, where the tool numbers its probes (scamper `probe_id`):
   * one probe has one answer, so several addresses under one number cannot all be true.
   */
  attempt?: number;
}

/**
 * Per-hop aggregates from tools that report summaries instead of single probes (mtr). Such a hop has one
 * reply per responder whose `rttMs` is `bestMs` (the minimum RTT is the tightest distance bound); the rest
 * of the summary lives here.
 */
export interface HopStats {
  /** Probes sent to this TTL. */
  sent: number;
  /** Percentage of them unanswered, 0-100. */
  lossPct: number;
  /** The other RTT aggregates in ms; null when nothing answered. */
  lastMs: number | null;
  avgMs: number | null;
  bestMs: number | null;
  worstMs: number | null;
  stdevMs: number | null;
}

/** Every reply seen for one TTL. */
export interface Hop {
  ttl: number;
  replies: Reply[];
  /** A hop-level error the tool reported instead of (or besides) replies, e.g. Atlas `error`. */
  error?: string;
  /** Aggregates when the tool reported a summary rather than each probe (mtr). */
  stats?: HopStats;
}

export interface TraceEndpoint {
  /** IP address; null when the tool did not report one. */
  address: string | null;
  /** Hostname the measurement was asked for, if any. Untrusted text. */
  name?: string;
}

export interface TraceSource extends TraceEndpoint {
  /**
   * The address the Internet sees the source as, when it differs from `address` (a probe behind NAT: RIPE Atlas
   * `from` against `src_addr`). Geolocation of the prober uses it, since a private address has no location.
   */
  publicAddress?: string;
  /** The agent that ran the measurement, when it came through the probe network. */
  agentId?: string;
}

export interface Trace {
  tool: TraceTool;
  method: ProbeMethod;
  ipVersion: IpVersion;
  source: TraceSource;
  destination: TraceEndpoint;
  /** ISO 8601 start time, null when the tool did not say. */
  startedAt: string | null;
  /** Paris flow identifier (scamper sport/icmp checksum, Atlas paris_id) where the tool had one. */
  flowId?: number;
  /** Hops ordered by TTL; TTLs may have gaps where the tool reported nothing. */
  hops: Hop[];
  /** Tool-specific facts worth keeping (Atlas msm_id/prb_id/fw, scamper stop reason, ...). */
  meta?: Record<string, string | number | boolean | null>;
  /** How the tool says it probed, where its output records it: what the plausibility check holds the hops to. */
  probing?: TraceProbing;
  /**
   * What the parser could not read or had to choose, each naming its input line where there is one ("line 7:
   * skipped ..."): lines it skipped, a cut-off last line, which of a summary's figures the physics uses.
   * Pasted text is read tolerantly, never silently.
   */
  warnings?: string[];
}

/** The tool's own settings as its output states them; each is absent when the format does not record it. */
export interface TraceProbing {
  /** Probes sent to each TTL at most (scamper `attempts`, mtr `tests`). */
  attemptsPerHop?: number;
  /** Probes sent in the whole trace (scamper `probe_count`, tracelb `probec`). */
  probesSent?: number;
  /** The highest TTL the tool would probe (scamper `hoplimit`, traceroute's "N hops max"). */
  maxTtl?: number;
  /** How long after sending a probe the tool could still record its reply, in ms (from scamper `wait`). */
  listenMs?: number;
}
