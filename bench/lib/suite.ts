/** What every `bench/suites/<name>.ts` exports as its default. */
export interface BenchSuite {
  readonly name: string;
  /** Runs the measurements and returns metric name → value. */
  run(): Promise<Record<string, number>>;
  /** Metric → the baseline metrics it is compared with; the table prints metric / baseline. */
  readonly baselines?: Readonly<Record<string, readonly string[]>>;
}

/** Narrows an imported module's default export to a suite, or explains why it is not one. */
export function asSuite(value: unknown, file: string): BenchSuite {
  const suite = value as Partial<BenchSuite> | undefined;
  if (!suite || typeof suite.name !== 'string' || typeof suite.run !== 'function') {
    throw new Error(`${file} does not export a default { name, run() } suite`);
  }
  return suite as BenchSuite;
}
