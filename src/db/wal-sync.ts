import fs from 'node:fs/promises';

/**
 * Makes SQLite commits durable without blocking the event loop. The writer runs with
 * `synchronous = NORMAL` (a commit writes its WAL frames but does not fsync), and every caller whose
 * work committed awaits `sync()`: an fdatasync of the WAL file on libuv's thread pool. A commit is
 * on disk when its caller hears of it, as with `synchronous = FULL`, but the wait is no longer a
 * stall of the whole process, and the writer lock is free meanwhile (the next transaction runs while
 * the last one syncs). Concurrent callers share one fdatasync; one arriving while a sync runs waits
 * for the next, which starts after its commit. (Checkpoints and the WAL header on reuse are still
 * synced by SQLite itself under NORMAL.)
 */
export interface WalSync {
  sync(): Promise<void>;
  /** fdatasync calls made so far (each may serve many commits). */
  readonly syncs: number;
  close(): Promise<void>;
}

export function createWalSync(walFile: string, datasync = defaultDatasync(walFile)): WalSync {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let syncs = 0;

  function start(): Promise<void> {
    syncs++;
    running = datasync.run().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    sync() {
      if (!running) return start();
      queued ??= running.then(
        () => {
          queued = undefined;
          return running ?? start();
        },
        () => {
          queued = undefined;
          return running ?? start();
        },
      );
      return queued;
    },
    get syncs() {
      return syncs;
    },
    close: () => datasync.close(),
  };
}

/** fdatasync of one file through a handle opened on first use (no WAL file yet: nothing to sync). */
function defaultDatasync(file: string) {
  let handle: Promise<fs.FileHandle | undefined> | undefined;
  const open = () =>
    fs.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      handle = undefined;
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
  return {
    async run(): Promise<void> {
      handle ??= open();
      await (await handle)?.datasync();
    },
    async close(): Promise<void> {
      const h = await handle?.catch(() => undefined);
      handle = undefined;
      await h?.close();
    },
  };
}
