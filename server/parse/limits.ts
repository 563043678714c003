/**
 * Bounds on untrusted trace input. Every parser checks these before doing work proportional to the input,
 * so a hostile or broken file ends in a clear error instead of exhausting memory or time.
 */
export interface ParseLimits {
  /** Characters in one input given to `parseTraces`. Larger inputs must be streamed with `parseTraceLine`. */
  maxInputChars: number;
  /** Characters in one JSON value: one NDJSON line, or a whole document (mtr report, Atlas array). */
  maxJsonChars: number;
  /** Characters in one line of traceroute text; no real hop line comes near it (255 probes with names). */
  maxTextLineChars: number;
  /** Replies kept for one TTL (an MDA tracelb hop behind wide load balancers is the largest real case). */
  maxRepliesPerHop: number;
}

/** TTL is an 8-bit field: hop numbers outside 1-255 cannot come from a real probe. */
export const MAX_TTL = 255;

/** Longer than any DNS name (253) plus slack; longer "names" are garbage, not hostnames. */
export const MAX_NAME_CHARS = 255;

/** A tool's error or flag text is a short phrase; anything longer is not a tool's message. */
export const MAX_MESSAGE_CHARS = 1024;

/** MPLS label stack entries in one ICMP extension: real stacks hold a handful. */
export const MAX_MPLS_LABELS = 32;

/** One hour: Atlas reports replies up to seconds late and tracepath up to 12 s; more is not an RTT. */
export const MAX_RTT_MS = 3_600_000;

/** One hop per TTL: a trace listing more hops than there are TTLs was not printed by a traceroute. */
export const MAX_HOPS_PER_TRACE = MAX_TTL;

/**
 * Replies in one trace. The largest real traces: RIPE Atlas at its most (16 packets at each of 255 TTLs, 4,080)
 * and scamper tracelb within its default budget of 3,000 probes. The plausibility check holds traces to it.
 */
export const MAX_REPLIES_PER_TRACE = 4096;

export const DEFAULT_LIMITS: ParseLimits = {
  maxInputChars: 256 * 1024 * 1024,
  maxJsonChars: 64 * 1024 * 1024,
  maxTextLineChars: 64 * 1024,
  maxRepliesPerHop: 1024,
};

export function resolveLimits(overrides?: Partial<ParseLimits>): ParseLimits {
  return overrides ? { ...DEFAULT_LIMITS, ...overrides } : DEFAULT_LIMITS;
}
