import type { BenchSuite } from './suite.ts';

function formatNumber(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(4);
}

function formatRatio(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(2);
}

/** A plain-text table of a suite's metrics, with `metric / baseline` ratios where paired. */
export function formatTable(suite: BenchSuite, metrics: Record<string, number>): string {
  const rows = Object.entries(metrics).map(([name, value]) => {
    const ratios = (suite.baselines?.[name] ?? [])
      .filter((baseline) => metrics[baseline] !== undefined)
      .map((baseline) => `${formatRatio(value / metrics[baseline]!)}× ${baseline}`);
    return [name, formatNumber(value), ratios.join(', ')] as const;
  });
  const header = ['metric', 'value', 'ratio'] as const;
  const nameWidth = Math.max(header[0].length, ...rows.map((r) => r[0].length));
  const valueWidth = Math.max(header[1].length, ...rows.map((r) => r[1].length));
  const line = (r: readonly [string, string, string]): string =>
    `${r[0].padEnd(nameWidth)}  ${r[1].padStart(valueWidth)}  ${r[2]}`.trimEnd();
  return [
    line(header),
    line(['-'.repeat(nameWidth), '-'.repeat(valueWidth), '-----']),
    ...rows.map(line),
  ].join('\n');
}
