// `npm run soak`: the soak of bench/soak/soak.ts for SOAK_SECONDS (600 by default). Prints a table of
// p50/p99 per operation per minute and the memory samples, writes the whole result as JSON under
// test-artifacts/, and exits non-zero when a bound is broken or an unexpected error occurred.
import fs from 'node:fs';
import path from 'node:path';
import { runSoak } from './soak.ts';
import { formatSoak } from './stats.ts';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
if (!Number.isFinite(seconds) || seconds < 30) throw new Error('SOAK_SECONDS must be a number ≥ 30');
const env: Record<string, string> = {};
const pgUrl = process.env.SOAK_DATABASE_URL;
if (pgUrl) {
  env.CHATVAULT_DATABASE_URL = pgUrl;
  env.CHATVAULT_DATABASE_SCHEMA = `soak_${Date.now().toString(36)}`;
}
process.stdout.write(
  `Soak: ${seconds} s against a production-started server (${pgUrl ? 'PostgreSQL' : 'SQLite'})…\n`,
);
const result = await runSoak({ seconds, env });
process.stdout.write(`${formatSoak(result.memory, result.latency)}\n\n`);
process.stdout.write(`operations: ${JSON.stringify(result.counts)}\n`);
process.stdout.write(`expected refusals: ${JSON.stringify(result.expected)}\n`);
process.stdout.write(`bounds: ${JSON.stringify(result.bounds)}\n`);
const dir = path.resolve(import.meta.dirname, '../../test-artifacts');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(file, JSON.stringify(result, null, 2));
process.stdout.write(`JSON: ${path.relative(process.cwd(), file)}\n`);
if (result.failures.length > 0) {
  process.stdout.write(`SOAK FAILED:\n${result.failures.map((f) => `  - ${f}`).join('\n')}\n`);
  process.exitCode = 1;
} else process.stdout.write('Soak passed: memory flat, p99 stable, no unexpected error.\n');
