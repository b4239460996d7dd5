/** How long to warm up and to measure, in milliseconds. */
export interface TimingOptions {
  readonly warmupMs?: number;
  readonly minMs?: number;
}

const DEFAULT_WARMUP_MS = 200;
const DEFAULT_MIN_MS = 1000;

/**
 * Runs `fn` for `warmupMs`, then for at least `minMs`, and returns operations per second.
 * The clock is read every `batch` calls so timing overhead stays out of fast loops.
 */
export function opsPerSecond(fn: () => unknown, options: TimingOptions = {}, batch = 256): number {
  const { warmupMs = DEFAULT_WARMUP_MS, minMs = DEFAULT_MIN_MS } = options;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) for (let i = 0; i < batch; i++) fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

/** Like {@link opsPerSecond} for async work, one call at a time (no overlapping calls). */
export async function opsPerSecondAsync(fn: () => Promise<unknown>, options: TimingOptions = {}): Promise<number> {
  const { warmupMs = DEFAULT_WARMUP_MS, minMs = DEFAULT_MIN_MS } = options;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    await fn();
    ops++;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

/** The `p`-th percentile (0..100, nearest rank) of `values`; throws on an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * Measures several contenders in alternating rounds and keeps each one's median, so a slow
 * moment on a shared machine does not land on one contender only.
 */
export async function interleaved<K extends string>(
  rounds: number,
  contenders: Record<K, () => number | Promise<number>>,
): Promise<Record<K, number>> {
  const samples = {} as Record<K, number[]>;
  const names = Object.keys(contenders) as K[];
  for (const name of names) samples[name] = [];
  for (let round = 0; round < rounds; round++) {
    for (const name of names) samples[name].push(await contenders[name]());
  }
  const result = {} as Record<K, number>;
  for (const name of names) result[name] = median(samples[name]);
  return result;
}
