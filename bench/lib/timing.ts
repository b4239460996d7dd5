/** How long to warm up and to measure, in milliseconds. */
export interface TimingOptions {
  readonly warmupMs?: number;
  readonly minMs?: number;
}

const DEFAULT_WARMUP_MS = 200;
const DEFAULT_MIN_MS = 1000;
const BATCH = 256;

/**
 * Runs `fn` in batches for at least `ms` and returns how many calls were made; the clock is read
 * once per batch so timing stays out of fast loops.
 */
export function runFor(fn: () => unknown, ms: number): number {
  let ops = 0;
  const end = performance.now() + ms;
  do {
    for (let i = 0; i < BATCH; i++) fn();
    ops += BATCH;
  } while (performance.now() < end);
  return ops;
}

/** Like {@link runFor} for async work, awaiting each call before the next. */
export async function runForAsync(fn: () => Promise<unknown>, ms: number): Promise<number> {
  let ops = 0;
  const end = performance.now() + ms;
  do {
    await fn();
    ops++;
  } while (performance.now() < end);
  return ops;
}

/** Runs `fn` for `warmupMs`, then for at least `minMs`, and returns operations per second. */
export function opsPerSecond(fn: () => unknown, options: TimingOptions = {}): number {
  const { warmupMs = DEFAULT_WARMUP_MS, minMs = DEFAULT_MIN_MS } = options;
  runFor(fn, warmupMs);
  const start = performance.now();
  const ops = runFor(fn, minMs);
  return (ops * 1000) / (performance.now() - start);
}

/** Like {@link opsPerSecond} for async work, one call at a time (no overlapping calls). */
export async function opsPerSecondAsync(
  fn: () => Promise<unknown>,
  options: TimingOptions = {},
): Promise<number> {
  const { warmupMs = DEFAULT_WARMUP_MS, minMs = DEFAULT_MIN_MS } = options;
  await runForAsync(fn, warmupMs);
  const start = performance.now();
  const ops = await runForAsync(fn, minMs);
  return (ops * 1000) / (performance.now() - start);
}

/** The `p`-th percentile (0..100, nearest rank) of `values`; throws on an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Compares contenders under the same conditions: runs one short slice of each in turn until
 * `budgetMs` has passed, and returns each one's median rate (work per second) over its slices.
 * A slice does some work and returns how much (operations, bytes…). On a shared VM throughput
 * drifts by tens of percent within seconds; alternating slices exposes every contender to it equally.
 * @example await alternate(5000, { ours: () => runFor(sealOnce, 25), raw: () => runFor(rawOnce, 25) })
 */
export async function alternate<K extends string>(
  budgetMs: number,
  slices: Record<K, () => number | Promise<number>>,
): Promise<Record<K, number>> {
  const names = Object.keys(slices) as K[];
  const rates = {} as Record<K, number[]>;
  for (const name of names) {
    rates[name] = [];
    await slices[name](); // warm-up
  }
  const end = performance.now() + budgetMs;
  while (performance.now() < end) {
    for (const name of names) {
      const start = performance.now();
      const work = await slices[name]();
      rates[name].push((work * 1000) / (performance.now() - start));
    }
  }
  const result = {} as Record<K, number>;
  for (const name of names) result[name] = percentile(rates[name], 50);
  return result;
}
