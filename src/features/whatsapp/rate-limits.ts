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

/** Called once a call was answered (or failed); `called: false` gives the place back unused. */
export type Release = (called?: boolean) => void;

/**
 * A window of `rate` places, first come first served. A call holds its place from its start until
 * one second after its answer. Meta stamps a call between its start and its answer, so take the
 * latest stamp `t` in any window shorter than a second: every call stamped in that window started at
 * or before `t` and was answered at or after its stamp, so it still held its place at `t`. No second
 * Meta sees holds more than `rate` calls that went through this window, however the network or the
 * event loop spaced them; a late timer loses nothing (delayed calls go as soon as the window allows).
 */
export class WindowLane {
  /** Calls started and not yet answered. */
  private active = 0;
  /** When recent calls stopped counting as in transit, sorted (pruned after a second). */
  private readonly answered: number[] = [];
  private readonly queue: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private rate: number,
    private readonly now: () => number,
  ) {}

  /** A new limit (a whole number, at least 1); waiting calls are let in if it grew. */
  setRate(rate: number): void {
    this.rate = Math.max(1, Math.floor(rate));
    this.drain();
  }

  get limit(): number {
    return this.rate;
  }

  /** Nothing in transit, nothing waiting: the lane may be forgotten. */
  idle(): boolean {
    this.prune(this.now());
    return this.active === 0 && this.queue.length === 0 && this.answered.length === 0;
  }

  /** Resolves with the release function once this call may start. */
  acquire(): Promise<Release> {
    return new Promise<Release>((resolve) => {
      this.queue.push(() => resolve(this.releaser()));
      this.drain();
    });
  }

  /** As {@link acquire}, but gives up (undefined) after `maxWaitMs`, leaving its place in line. */
  tryAcquire(maxWaitMs: number): Promise<Release | undefined> {
    return new Promise<Release | undefined>((resolve) => {
      const grant = () => {
        clearTimeout(giveUp);
        resolve(this.releaser());
      };
      const giveUp = setTimeout(() => {
        const i = this.queue.indexOf(grant);
        if (i < 0) return;
        this.queue.splice(i, 1);
        resolve(undefined);
      }, maxWaitMs);
      this.queue.push(grant);
      this.drain();
    });
  }

  /** Milliseconds until the window could next let a call in (0 when a place is free now). */
  nextFreeIn(): number {
    const t = this.now();
    this.prune(t);
    if (this.active + this.answered.length < this.rate) return 0;
    return this.answered.length > 0 ? Math.max(1, Math.ceil(this.answered[0]! + 1000 - t)) : 1000;
  }

  private releaser(): Release {
    let released = false;
    return (called = true) => {
      if (released) return;
      released = true;
      this.active--;
      if (called) {
        const at = this.now();
        let i = this.answered.length;
        while (i > 0 && this.answered[i - 1]! > at) i--;
        this.answered.splice(i, 0, at);
      }
      this.drain();
    };
  }

  private prune(t: number): void {
    while (this.answered.length > 0 && this.answered[0]! + 1000 <= t) this.answered.shift();
  }

  private drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const t = this.now();
    this.prune(t);
    while (this.queue.length > 0 && this.active + this.answered.length < this.rate) {
      this.active++;
      this.queue.shift()!();
    }
    // Blocked by answered calls: wake when the oldest leaves the window (an answer also wakes us).
    if (this.queue.length > 0 && this.answered.length > 0)
      this.timer = setTimeout(() => this.drain(), Math.max(1, Math.ceil(this.answered[0]! + 1000 - t)));
  }
}

/**
 * Meta's pair limit is one message every 6 s (bursts up to 45). A token here is taken a little before
 * Meta stamps the call; if the first of a burst was taken much earlier than the later ones, this
 * bucket would refill ahead of Meta's. So tokens are taken right before the call (after every wait),
 * and 500 ms of margin per token absorbs what is left of that spread (a loaded machine was seen to
 * stamp the first of 45 concurrent replies more than 100 ms after its token).
 */
const PAIR_INTERVAL_S = 6.5;

/**
 * Meta's send limits as one process sees them, shared by every sender of the process (outbox replies
 * and campaigns): per business number a {@link WindowLane} of its throughput (`perSecond`, or 1,000
 * once the Graph API reports the number upgraded: `useLevel`), and per recipient the pair limit
 * (1 message per 6 s, bursts up to 45). Recipient keys are contact ids, never phone numbers.
 */
export function createSendLimiter(options: { perSecond: number; now?: () => number }) {
  const numbers = new Map<string, WindowLane>();
  const pairs = new Map<string, TokenBucket>();
  const now = options.now ?? Date.now;
  let swept = Number.NEGATIVE_INFINITY;

  function lane(phoneNumberId: string): WindowLane {
    let l = numbers.get(phoneNumberId);
    if (!l) {
      if (numbers.size > 1000) for (const [k, x] of numbers) if (x.idle()) numbers.delete(k);
      numbers.set(phoneNumberId, (l = new WindowLane(options.perSecond, now)));
    }
    return l;
  }
  function pair(phoneNumberId: string, recipientKey: string): TokenBucket {
    const id = `${phoneNumberId}:${recipientKey}`;
    let p = pairs.get(id);
    if (!p) {
      // A campaign adds one bucket per customer: forget idle ones, scanning at most once a second.
      if (pairs.size > 100_000 && now() - swept >= 1000) {
        swept = now();
        for (const [k, b] of pairs) if (b.idle()) pairs.delete(k);
      }
      pairs.set(id, (p = new TokenBucket(45, 1 / PAIR_INTERVAL_S, now)));
    }
    return p;
  }

  return {
    /** The number's throughput as this process applies it (messages per second). */
    throughputOf: (phoneNumberId: string): number => lane(phoneNumberId).limit,

    /**
     * The number's `throughput.level` as read from the Graph API: `HIGH` (upgraded) is 1,000 a second;
     * any other level (`STANDARD`, or unreadable) the configured rate (80 by default; 20 on a
     * coexistence number is the operator's to configure).
     */
    useLevel(phoneNumberId: string, level: unknown): void {
      const perSecond = level === 'HIGH' ? Math.max(1000, options.perSecond) : options.perSecond;
      const l = lane(phoneNumberId);
      if (l.limit !== perSecond) l.setRate(perSecond);
    },

    /** Takes one pair token right before a call: 0, or the wait in milliseconds (nothing taken then). */
    takePair: (phoneNumberId: string, recipientKey: string): number =>
      pair(phoneNumberId, recipientKey).take(),

    /** A place in the number's window (campaign calls wait their turn, first come first served). */
    acquire: (phoneNumberId: string): Promise<Release> => lane(phoneNumberId).acquire(),

    /**
     * One reply: a place in the number's window within `maxWaitMs`, then the pair token (taken only
     * now, right before the call: see {@link PAIR_INTERVAL_S}). The release function, or the wait in
     * milliseconds after which to try again (nothing consumed then).
     */
    async reserve(
      phoneNumberId: string,
      recipientKey: string,
      maxWaitMs = 2000,
    ): Promise<{ release: Release } | { wait: number }> {
      const l = lane(phoneNumberId);
      const release = await l.tryAcquire(maxWaitMs);
      if (!release) return { wait: Math.max(100, l.nextFreeIn()) };
      const pairWait = pair(phoneNumberId, recipientKey).take();
      if (pairWait === 0) return { release };
      release(false);
      return { wait: pairWait };
    },
  };
}

export type SendLimiter = ReturnType<typeof createSendLimiter>;
