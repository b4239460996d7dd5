// Usage: tsx bench/run.ts [suite…]. Runs bench/suites/<suite>.ts (all suites when none are named),
// prints a table per suite, and writes bench/results/<suite>.json plus the merged bench/results.json.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machineInfo } from './lib/machine.ts';
import { formatTable } from './lib/report.ts';
import { asSuite } from './lib/suite.ts';

const benchDir = import.meta.dirname;
const suitesDir = join(benchDir, 'suites');
const resultsDir = join(benchDir, 'results');

async function availableSuites(): Promise<string[]> {
  const files = await readdir(suitesDir);
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

async function main(requested: string[]): Promise<number> {
  const available = await availableSuites();
  const unknown = requested.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark suite: ${unknown.join(', ')} (available: ${available.join(', ')})`);
    return 1;
  }
  const names = requested.length > 0 ? requested : available;
  const machine = machineInfo();
  const merged: Record<string, number> = {};
  await mkdir(resultsDir, { recursive: true });
  for (const name of names) {
    const file = join(suitesDir, `${name}.ts`);
    const suite = asSuite(((await import(pathToFileURL(file).href)) as { default?: unknown }).default, file);
    const started = performance.now();
    const metrics = await suite.run();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `\n${suite.name} (${seconds} s, ${machine.cpus} × ${machine.cpuModel}, node ${machine.node})`,
    );
    console.log(formatTable(suite, metrics));
    await writeJson(join(resultsDir, `${name}.json`), {
      suite: suite.name,
      metrics,
      machine,
      at: new Date().toISOString(),
    });
    Object.assign(merged, metrics);
  }
  await writeJson(join(benchDir, 'results.json'), { metrics: merged, machine, at: new Date().toISOString() });
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
