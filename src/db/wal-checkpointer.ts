import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** WAL pages after which the writer checkpoints by itself, should the background thread be gone. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 4000;

// The worker is plain JavaScript evaluated from this string, so it runs without the TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file);
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another process checkpoints) or closing: the next turn tries again.
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

/**
 * Runs SQLite's WAL checkpoints on a background thread with its own connection. A checkpoint copies
 * the WAL into the database file and fsyncs it; done by the writer (SQLite's default), it stalls the
 * event loop for tens of milliseconds every thousand pages. `PASSIVE` never waits for, nor blocks, the
 * writer or readers. The writer keeps a higher automatic threshold as a fallback.
 */
export function startWalCheckpointer(file: string, intervalMs = 100): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, intervalMs } });
  // A failed thread only means the writer's fallback threshold applies; nothing to report upward.
  worker.on('error', () => undefined);
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.ref(); // keep the process alive until the thread has closed its connection
      worker.postMessage('stop');
      await exited;
    },
  };
}
