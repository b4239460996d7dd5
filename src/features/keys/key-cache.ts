/**
 * A bounded LRU of unwrapped key material. `clear` (on seal) and `delete` (a key destroyed) zero the
 * buffers, so a sealed process keeps no key bytes reachable from the cache. Replaced and evicted
 * entries are only dropped, never zeroed: a concurrent caller may still be using that very buffer
 * (two requests unwrapping the same key at once), and zeroing it under them would make them encrypt
 * under an all-zero key or derive wrong blind-index keys.
 */
interface Entry<V> {
  readonly id: string;
  value: V;
  /** Neighbours in recency order: `older` towards the eviction end, `newer` towards the fresh end. */
  older: Entry<V> | undefined;
  newer: Entry<V> | undefined;
}

export class KeyCache<V extends { key: Buffer } | Buffer> {
  // Recency is a linked list, not the Map's insertion order: evicting through `keys().next()` made
  // V8 walk past every entry deleted since its table was last rebuilt (up to the capacity), which at
  // 100,000 keys cost more per new customer than the customer's encryption.
  private readonly entries = new Map<string, Entry<V>>();
  private oldest: Entry<V> | undefined;
  private newest: Entry<V> | undefined;

  constructor(private readonly capacity: number) {}

  get(id: string): V | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.unlink(entry);
    this.append(entry);
    return entry.value;
  }

  set(id: string, value: V): void {
    const existing = this.entries.get(id);
    if (existing !== undefined) {
      existing.value = value;
      this.unlink(existing);
      this.append(existing);
      return;
    }
    const entry: Entry<V> = { id, value, older: undefined, newer: undefined };
    this.entries.set(id, entry);
    this.append(entry);
    while (this.entries.size > this.capacity && this.oldest !== undefined) {
      const evicted = this.oldest;
      this.unlink(evicted);
      this.entries.delete(evicted.id);
    }
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    zero(entry.value);
    this.unlink(entry);
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Zeroes and forgets every entry (used on seal). */
  clear(): void {
    for (const entry of this.entries.values()) zero(entry.value);
    this.entries.clear();
    this.oldest = undefined;
    this.newest = undefined;
  }

  private append(entry: Entry<V>): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest !== undefined) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private unlink(entry: Entry<V>): void {
    if (entry.older !== undefined) entry.older.newer = entry.newer;
    else if (this.oldest === entry) this.oldest = entry.newer;
    if (entry.newer !== undefined) entry.newer.older = entry.older;
    else if (this.newest === entry) this.newest = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}

function zero(value: { key: Buffer } | Buffer): void {
  (Buffer.isBuffer(value) ? value : value.key).fill(0);
}
