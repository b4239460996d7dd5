#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI through tsx so `npx chatvault …` works without a build step.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const result = spawnSync(
  process.execPath,
  ['--import', require.resolve('tsx'), main, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exitCode = result.status ?? 1;
