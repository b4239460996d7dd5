import { percentile } from '../lib/timing.ts';

/** One memory reading of the server process. */
export interface MemorySample {
  /** Seconds since the soak started. */
  readonly t: number;
  readonly heapUsedMb: number;
  readonly rssMb: number;
}

/** Latencies of one operation in one window. */
export interface WindowStats {
  readonly op: string;
  readonly window: number;
  readonly fromS: number;
  readonly n: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** The pass/fail bounds the soak states up front (printed with the result). */
export interface SoakBounds {
  /** Share of the run that is warm-up (caches, JIT, connection pools): not judged. */
  readonly warmupShare: number;
  /** Heap and RSS may grow by this share of the post-warm-up level... */
  readonly memoryGrowth: number;
  /** ...or by this many MB, whichever is larger (small absolute noise on a small heap). */
  readonly heapSlackMb: number;
  readonly rssSlackMb: number;
  /** The last window's p99 may be at most this many times the first judged window's p99... */
  readonly p99Factor: number;
  /** ...unless it stays under this (scheduling noise on a shared machine). */
  readonly p99FloorMs: number;
}

export const DEFAULT_BOUNDS: SoakBounds = {
  warmupShare: 0.25,
  memoryGrowth: 0.25,
  heapSlackMb: 24,
  rssSlackMb: 64,
  p99Factor: 4,
  p99FloorMs: 250,
};

/** Records each operation's latency with the time it started. */
export class LatencyLog {
  readonly samples: { op: string; t: number; ms: number }[] = [];
  readonly errors = new Map<string, number>();
  readonly expected = new Map<string, number>();

  add(op: string, t: number, ms: number): void {
    this.samples.push({ op, t, ms });
  }

  count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  /** p50/p99 per operation per window of `windowS` seconds. */
  windows(windowS: number): WindowStats[] {
    const groups = new Map<string, number[]>();
    for (const s of this.samples) {
      const key = `${s.op}\u0000${Math.floor(s.t / windowS)}`;
      const list = groups.get(key) ?? [];
      list.push(s.ms);
      groups.set(key, list);
    }
    return [...groups]
      .map(([key, list]) => {
        const [op, w] = key.split('\u0000') as [string, string];
        const window = Number(w);
        return {
          op,
          window,
          fromS: window * windowS,
          n: list.length,
          p50Ms: round(percentile(list, 50)),
          p99Ms: round(percentile(list, 99)),
        };
      })
      .sort((a, b) => a.op.localeCompare(b.op) || a.window - b.window);
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
const median = (list: number[]) => percentile(list, 50);

/** Judges a run against the bounds; every failure is one readable line. */
export function judge(
  memory: readonly MemorySample[],
  windows: readonly WindowStats[],
  seconds: number,
  windowS: number,
  bounds: SoakBounds,
): string[] {
  const failures: string[] = [];
  const warm = seconds * bounds.warmupShare;
  const judged = memory.filter((m) => m.t >= warm);
  if (judged.length < 4) failures.push(`too few memory samples after warm-up (${judged.length})`);
  else {
    const quarter = Math.max(1, Math.floor(judged.length / 4));
    const first = judged.slice(0, quarter);
    const last = judged.slice(-quarter);
    for (const [name, key, slack] of [
      ['heap', 'heapUsedMb', bounds.heapSlackMb],
      ['rss', 'rssMb', bounds.rssSlackMb],
    ] as const) {
      const start = median(first.map((m) => m[key]));
      const end = median(last.map((m) => m[key]));
      const allowed = start + Math.max(slack, start * bounds.memoryGrowth);
      if (end > allowed)
        failures.push(
          `${name} grew from ${start.toFixed(1)} MB to ${end.toFixed(1)} MB (bound ${allowed.toFixed(1)} MB)`,
        );
    }
  }
  const firstJudged = Math.ceil(warm / windowS);
  const lastWindow = Math.floor(seconds / windowS) - 1;
  for (const op of new Set(windows.map((w) => w.op))) {
    const mine = windows.filter((w) => w.op === op && w.window >= firstJudged && w.window <= lastWindow);
    if (mine.length < 2) continue;
    const first = mine[0]!;
    const last = mine[mine.length - 1]!;
    if (last.p99Ms > bounds.p99FloorMs && last.p99Ms > first.p99Ms * bounds.p99Factor)
      failures.push(
        `${op}: p99 drifted from ${first.p99Ms} ms to ${last.p99Ms} ms (bound ×${bounds.p99Factor})`,
      );
  }
  return failures;
}

/** A plain-text table: per operation and window, n / p50 / p99; then the memory samples. */
export function formatSoak(memory: readonly MemorySample[], windows: readonly WindowStats[]): string {
  const lines = ['operation            window  from(s)      n   p50(ms)   p99(ms)'];
  for (const w of windows)
    lines.push(
      `${w.op.padEnd(20)} ${String(w.window).padStart(6)} ${String(w.fromS).padStart(8)} ${String(w.n).padStart(6)} ${w.p50Ms.toFixed(1).padStart(9)} ${w.p99Ms.toFixed(1).padStart(9)}`,
    );
  lines.push('', 'time(s)  heap(MB)   rss(MB)');
  for (const m of memory)
    lines.push(
      `${String(Math.round(m.t)).padStart(7)} ${m.heapUsedMb.toFixed(1).padStart(9)} ${m.rssMb.toFixed(1).padStart(9)}`,
    );
  return lines.join('\n');
}
