/**
 * A token bucket: `capacity` tokens, refilled at `perSecond`. `take()` answers 0 when a token was
 * taken, else how many milliseconds until one is available.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  /** Gives back a token taken by a send that did not happen. */
  refund(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }

  /** Full and unused for long enough to forget. */
  idle(): boolean {
    return this.tokens >= this.capacity - 1e-9 && this.now() - this.last > 60_000;
  }
}

/**
 * Meta's send limits, per process: a per-number throughput bucket (80 msg/s by default, up to 1,000)
 * and a per-recipient pair limit (1 message per 6 s, bursts up to 45).
 */
export function createSendLimiter(options: { perSecond: number; now?: () => number }) {
  const numbers = new Map<string, TokenBucket>();
  const pairs = new Map<string, TokenBucket>();
  const now = options.now ?? Date.now;
  return {
    /** 0 when a message may go now; otherwise the wait in milliseconds (nothing is consumed then). */
    reserve(phoneNumberId: string, recipientKey: string): number {
      const pairId = `${phoneNumberId}:${recipientKey}`;
      let pair = pairs.get(pairId);
      if (!pair) pairs.set(pairId, (pair = new TokenBucket(45, 1 / 6, now)));
      let number = numbers.get(phoneNumberId);
      if (!number)
        numbers.set(phoneNumberId, (number = new TokenBucket(options.perSecond, options.perSecond, now)));
      const pairWait = pair.take();
      if (pairWait > 0) return pairWait;
      const numberWait = number.take();
      if (numberWait > 0) {
        pair.refund();
        return numberWait;
      }
      if (pairs.size > 100_000) for (const [k, b] of pairs) if (b.idle()) pairs.delete(k);
      return 0;
    },
  };
}
