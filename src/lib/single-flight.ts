/**
 * Shares one pending load per key among concurrent callers: when a cached value expires under load,
 * the first caller reads it and the others await that same read instead of each querying the
 * database (a burst of 2,000 concurrent callers otherwise queues 2,000 identical queries).
 */
export function singleFlight<T>() {
  const pending = new Map<string, Promise<T>>();
  return function run(key: string, load: () => Promise<T>): Promise<T> {
    const inFlight = pending.get(key);
    if (inFlight) return inFlight;
    const started = load().finally(() => pending.delete(key));
    pending.set(key, started);
    return started;
  };
}
