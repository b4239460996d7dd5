import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The repository root (where `web/` and `node_modules/` are). */
export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const CONSOLE_DIST = path.join(ROOT, 'web', 'dist');
const SOURCES = ['web/src', 'web/index.html', 'web/vite.config.ts'];
const LOCK = path.join(ROOT, 'web', '.build-lock');

function newestSource(): number {
  let newest = 0;
  const visit = (p: string) => {
    if (!fs.existsSync(p)) return;
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const f of fs.readdirSync(p)) visit(path.join(p, f));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const s of SOURCES) visit(path.join(ROOT, s));
  return newest;
}

/** Whether `web/dist` is missing, or (when asked) older than the console's sources. */
export function consoleNeedsBuild(options: { whenStale: boolean }): boolean {
  const index = path.join(CONSOLE_DIST, 'index.html');
  if (!fs.existsSync(index)) return true;
  return options.whenStale && newestSource() > fs.statSync(index).mtimeMs;
}

function runVite(): Promise<void> {
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!fs.existsSync(vite))
    return Promise.reject(new Error('Vite is not installed: run `npm install` to build the console'));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}`)),
    );
  });
}

/**
 * Builds the console once when it is missing (or stale, when asked): a newcomer's `npm start` needs
 * no extra step. Concurrent callers (parallel test files) wait for one build through a lock folder.
 */
export async function ensureConsoleBuilt(options: { whenStale: boolean; say?: (line: string) => void }) {
  while (consoleNeedsBuild(options)) {
    try {
      fs.mkdirSync(LOCK);
    } catch {
      const lock = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > 5 * 60_000) fs.rmSync(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      if (!consoleNeedsBuild(options)) return;
      options.say?.('Building the operator console (web/ → web/dist)…');
      await runVite();
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
    return;
  }
}
