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
  private last = new Map<string, number>();

  add(value: string, t: number, windowMs: number): number {
    this.last.delete(value);
    this.last.set(value, t);
    const from = t - windowMs;
    // Map keeps insertion order: the oldest sightings come first.
    for (const [v, at] of this.last) {
      if (at > from) break;
      this.last.delete(v);
    }
    return this.last.size;
  }
}

/** Keyed windows with a size cap, so an attacker cycling keys cannot grow memory without bound. */
export class WindowMap<W> {
  private map = new Map<string, W>();
  constructor(
    private readonly make: () => W,
    private readonly cap = 100_000,
  ) {}

  get(key: string): W {
    let w = this.map.get(key);
    if (!w) {
      if (this.map.size >= this.cap) this.map.delete(this.map.keys().next().value!);
      w = this.make();
      this.map.set(key, w);
    }
    return w;
  }
}
