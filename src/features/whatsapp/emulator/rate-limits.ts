import type { Clock } from '../../../lib/clock.ts';

/** A token bucket on the injected clock: `capacity` tokens, one more every `msPerToken`. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly msPerToken: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.at) / this.msPerToken);
    this.at = Math.max(this.at, now);
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Meta's send limits (§3.1, §3.3): the number's throughput (default 80 messages/s, one second of
 * burst) and the per-recipient pair rate (1 every 6 s, bursts up to 45 that borrow from the future:
 * after a burst of 20 the next message waits about 2 minutes).
 */
export class RateLimits {
  private readonly number: TokenBucket;
  private readonly pairs = new Map<string, TokenBucket>();

  constructor(
    private readonly clock: Clock,
    throughput: number,
    private readonly pair: { intervalMs: number; burst: number },
  ) {
    this.number = new TokenBucket(throughput, 1000 / throughput, this.now());
  }

  /** False: the number's throughput is exhausted (130429). */
  takeThroughput(): boolean {
    return this.number.take(this.now());
  }

  /** False: this recipient got too many messages lately (131056). */
  takePair(recipient: string): boolean {
    let bucket = this.pairs.get(recipient);
    if (!bucket) {
      bucket = new TokenBucket(this.pair.burst, this.pair.intervalMs, this.now());
      this.pairs.set(recipient, bucket);
    }
    return bucket.take(this.now());
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
