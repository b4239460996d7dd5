/**
 * A bounded LRU of unwrapped key material. Evicted and cleared buffers are zeroed, so a sealed
 * process keeps no key bytes reachable from the cache.
 */
export class KeyCache<V extends { key: Buffer } | Buffer> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(id: string): V | undefined {
    const value = this.entries.get(id);
    if (value !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, value);
    }
    return value;
  }

  set(id: string, value: V): void {
    const previous = this.entries.get(id);
    if (previous !== undefined && previous !== value) zero(previous);
    this.entries.delete(id);
    this.entries.set(id, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      zero(this.entries.get(oldest) as V);
      this.entries.delete(oldest);
    }
  }

  delete(id: string): void {
    const value = this.entries.get(id);
    if (value !== undefined) zero(value);
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Zeroes and forgets every entry (used on seal). */
  clear(): void {
    for (const value of this.entries.values()) zero(value);
    this.entries.clear();
  }
}

function zero(value: { key: Buffer } | Buffer): void {
  (Buffer.isBuffer(value) ? value : value.key).fill(0);
}
