import { LruMap } from '../../lib/lru-map.ts';

/**
 * A bounded LRU of unwrapped key material. `clear` (on seal) and `delete` (a key destroyed) zero the
 * buffers, so a sealed process keeps no key bytes reachable from the cache. Replaced and evicted
 * entries are only dropped, never zeroed: a concurrent caller may still be using that very buffer
 * (two requests unwrapping the same key at once), and zeroing it under them would make them encrypt
 * under an all-zero key or derive wrong blind-index keys.
 */
export class KeyCache<V extends { key: Buffer } | Buffer> {
  private readonly entries: LruMap<string, V>;

  constructor(capacity: number) {
    this.entries = new LruMap(capacity);
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

  /** Zeroes and forgets every entry (used on seal). */
  clear(): void {
    for (const value of this.entries.values()) zero(value);
    this.entries.clear();
  }
}

function zero(value: { key: Buffer } | Buffer): void {
  (Buffer.isBuffer(value) ? value : value.key).fill(0);
}
