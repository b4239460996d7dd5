import { LruMap } from '../../lib/lru-map.ts';

/**
 * A bounded LRU of unwrapped key material. `clear` (on seal) and `delete` (a key destroyed) zero the
 * buffers at once, so a sealed process keeps no key bytes reachable from the cache. A replaced entry
 * is only dropped: a concurrent caller may still be using that very buffer (two requests unwrapping
 * the same key at once), and zeroing it under them would make them encrypt under an all-zero key or
 * derive wrong blind-index keys. For the same reason an evicted entry is zeroed only after
 * `zeroEvictedAfterMs` (none: never), long after any request that took it has finished; one that
 * still held it then fails loudly (sealing and file encryption refuse a zeroed key, opening fails).
 */
export class KeyCache<V extends { key: Buffer } | Buffer> {
  private readonly entries: LruMap<string, V>;
  /** Evicted values waiting to be zeroed, by eviction number, oldest first. */
  private readonly retired = new LruMap<number, { readonly at: number; readonly value: V }>(Infinity);
  private evictions = 0;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(capacity: number, options: { readonly zeroEvictedAfterMs?: number } = {}) {
    const grace = options.zeroEvictedAfterMs;
    this.entries = new LruMap(
      capacity,
      grace === undefined ? undefined : (_id, value) => this.retire(value, grace),
    );
  }

  get(id: string): V | undefined {
    return this.entries.get(id);
  }

  set(id: string, value: V): void {
    this.entries.set(id, value);
  }

  delete(id: string): void {
    const value = this.entries.delete(id);
    if (value !== undefined) zero(value);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Zeroes and forgets every entry, and every evicted one not zeroed yet (used on seal). */
  clear(): void {
    for (const value of this.entries.values()) zero(value);
    this.entries.clear();
    this.sweep(Infinity);
  }

  /** Evicted values not zeroed yet (for tests). */
  get retiredCount(): number {
    return this.retired.size;
  }

  private retire(value: V, grace: number): void {
    this.retired.set(this.evictions++, { at: Date.now(), value });
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => this.sweep(Date.now() - grace), Math.min(1000, grace));
    this.sweeper.unref();
  }

  /** Zeroes the values evicted at or before `until`; stops the timer once none are left. */
  private sweep(until: number): void {
    this.retired.dropOldestWhile(
      (r) => r.at <= until,
      (r) => zero(r.value),
    );
    if (this.retired.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

function zero(value: { key: Buffer } | Buffer): void {
  (Buffer.isBuffer(value) ? value : value.key).fill(0);
}
