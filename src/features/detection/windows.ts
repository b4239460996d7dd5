import { LruMap } from '../../lib/lru-map.ts';

/** Event times in a sliding window: O(1) amortised per event, memory bounded by the window. */
export class SlidingCount {
  private times: number[] = [];
  private head = 0;

  /** Adds an event at `t` (ms) and returns how many fall in `(t - windowMs, t]`. */
  add(t: number, windowMs: number): number {
    this.times.push(t);
    const from = t - windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= from) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  /** Time of the oldest event still in the window. */
  oldest(): number | undefined {
    return this.times[this.head];
  }
}

/** Distinct values seen in a sliding window (e.g. accounts tried from one address). */
export class SlidingDistinct {
  /** Each value's last sighting, oldest sighting first (setting a value makes it the newest). */
  private last = new LruMap<string, number>(Infinity);

  add(value: string, t: number, windowMs: number): number {
    this.last.set(value, t);
    const from = t - windowMs;
    this.last.dropOldestWhile((at) => at <= from);
    return this.last.size;
  }
}

/** Keys a keyed window map (and each of the rules' other per-key maps) keeps at most. */
export const WINDOW_KEYS_CAP = 100_000;

/** Keyed windows with a size cap, so an attacker cycling keys cannot grow memory without bound. */
export class WindowMap<W> {
  private readonly map: LruMap<string, W>;
  constructor(
    private readonly make: () => W,
    cap = WINDOW_KEYS_CAP,
  ) {
    // Past the cap the least recently used key goes (an attacker's one-off keys, not busy ones).
    this.map = new LruMap(cap);
  }

  get(key: string): W {
    let w = this.map.get(key);
    if (!w) {
      w = this.make();
      this.map.set(key, w);
    }
    return w;
  }
}
