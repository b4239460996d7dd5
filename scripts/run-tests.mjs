// Runs every test file with node's built-in runner (Node 20 has no glob support in --test).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : find(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : [...find('src'), ...find('test')].sort();
// --no-turbo-inlining: Node 20's V8 aborts test processes too ("unreachable code" deoptimising out of
// an inlined builtin, src/lib/v8-workarounds.ts); the runner passes the flag on to each test file.
const result = spawnSync(
  process.execPath,
  [
    '--no-turbo-inlining',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exitCode = result.status ?? 1;
