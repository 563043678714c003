/**
 * Keeps a message that repeats on every retry to one log line per interval: the first time it is logged,
 * then at most once per `intervalMs`, saying how many times it came meanwhile. A different message is
 * logged at once.
 */
export class RepeatNotice {
  private last: { text: string; at: number } | null = null;
  private suppressed = 0;

  constructor(private readonly intervalMs: number) {}

  /** Null: do not log now. Otherwise log, with `repeated` (0 the first time) times it came unlogged before. */
  next(text: string, now: number): { repeated: number } | null {
    if (this.last !== null && this.last.text === text && now - this.last.at < this.intervalMs) {
      this.suppressed += 1;
      return null;
    }
    const repeated = this.last?.text === text ? this.suppressed : 0;
    this.last = { text, at: now };
    this.suppressed = 0;
    return { repeated };
  }
}
