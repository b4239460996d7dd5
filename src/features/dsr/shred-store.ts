import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { associatedData } from '../../lib/crypto/aead.ts';
import { KeyNotFoundError } from '../../lib/errors.ts';
import type { KeyProvider } from '../keys/key-provider.ts';
import { SHRED_LEAVES, ShredTree } from './shred-tree.ts';

const STATE_AD = associatedData('system', 'shred', 'state', 'v1');
const LOCK_WAIT_MS = 5_000;
/** How often a process looks whether another process (the CLI beside a server) punctured the state. */
const RELOAD_CHECK_MS = 500;
/** Leaves a process reserves at a time (one locked, fsync'd write per block). */
const BLOCK = 4096;

interface State {
  tree: ShredTree;
  /** The first leaf no process has reserved yet. */
  next: number;
}

/** Where the shredding state lives: beside the keys, never inside a database backup. */
export function shredPaths(dataDir: string) {
  const dir = path.join(dataDir, 'shred');
  return { dir, state: path.join(dir, 'state.bin'), lock: path.join(dir, 'state.lock') };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The per-customer shredding secrets outside the database (see `README.md`): a puncturable tree
 * sealed under the root key in `<data dir>/shred/state.bin`. Every customer key is bound to the
 * secret of its leaf, so once the leaf is punctured here, no database backup — old or new — opens
 * that customer's data.
 */
export function createShredStore(deps: {
  dataDir: string;
  provider: Pick<KeyProvider, 'isSealed' | 'wrap' | 'unwrap'>;
}) {
  const paths = shredPaths(deps.dataDir);
  let tree: ShredTree | undefined;
  let loadedStamp = '';
  let checkedAt = 0;
  let block = { next: 0, end: 0 };

  const stampOf = (): string => {
    try {
      const st = fs.statSync(paths.state);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return '';
    }
  };

  function read(): State | undefined {
    if (!fs.existsSync(paths.state)) return undefined;
    const clear = deps.provider.unwrap(fs.readFileSync(paths.state), STATE_AD);
    try {
      const state = JSON.parse(clear.toString('utf8')) as { v: 1; next: number; nodes: [string, string][] };
      return {
        tree: new ShredTree(state.nodes.map(([p, s]) => [p, Buffer.from(s, 'base64')])),
        next: state.next,
      };
    } finally {
      clear.fill(0);
    }
  }

  function write(state: State): void {
    fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    const json = JSON.stringify({
      v: 1,
      next: state.next,
      nodes: [...state.tree.entries()].map(([p, s]) => [p, s.toString('base64')]),
    });
    const sealed = deps.provider.wrap(Buffer.from(json, 'utf8'), STATE_AD);
    const tmp = `${paths.state}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, sealed);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, paths.state);
    const dirFd = fs.openSync(paths.dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }

  /** Runs `fn` holding the state lock, with the state as on disk (created on first use). */
  function locked<T>(fn: (current: State) => T): T {
    fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    const end = Date.now() + LOCK_WAIT_MS;
    let fd: number | undefined;
    while (fd === undefined) {
      try {
        fd = fs.openSync(paths.lock, 'wx', 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > end) throw error;
        sleep(5);
      }
    }
    try {
      let current = read();
      if (current === undefined) {
        current = { tree: new ShredTree([['', randomBytes(32)]]), next: 0 };
        write(current);
      }
      const out = fn(current);
      tree = current.tree;
      loadedStamp = stampOf();
      return out;
    } finally {
      fs.closeSync(fd);
      fs.rmSync(paths.lock, { force: true });
    }
  }

  function current(): ShredTree {
    const now = Date.now();
    if (tree !== undefined && now - checkedAt < RELOAD_CHECK_MS) return tree;
    checkedAt = now;
    const stamp = stampOf();
    if (tree === undefined || stamp !== loadedStamp) {
      const onDisk = stamp === '' ? undefined : read();
      if (onDisk === undefined) return locked((s) => s.tree);
      tree = onDisk.tree;
      loadedStamp = stamp;
    }
    return tree;
  }

  return {
    /** A leaf no other customer key has or will have (reserved in blocks, durably, across processes). */
    allocate(): number {
      if (block.next >= block.end) {
        block = locked((s) => {
          if (s.next + BLOCK > SHRED_LEAVES) throw new KeyNotFoundError(0, 'has no shredding leaves left');
          const start = s.next;
          s.next += BLOCK;
          write(s);
          return { next: start, end: start + BLOCK };
        });
      }
      return block.next++;
    },

    /** The shredding secret of a leaf; KeyNotFoundError once its customer was erased. */
    secret(leaf: number): Buffer {
      const secret = current().secret(leaf);
      if (secret === undefined) throw new KeyNotFoundError(0, 'was destroyed when the customer was erased');
      return secret;
    },

    /** Destroys leaves durably (one fsync'd atomic rename for all); returns how many were still there. */
    destroy(leaves: readonly number[]): number {
      if (leaves.length === 0) return 0;
      return locked((s) => {
        let n = 0;
        for (const leaf of leaves) if (s.tree.puncture(leaf)) n++;
        if (n > 0) write(s);
        return n;
      });
    },

    /** Drops the in-memory copy and the reserved block (on seal). */
    forget(): void {
      tree = undefined;
      loadedStamp = '';
      block = { next: 0, end: 0 };
    },
  };
}

export type ShredStore = ReturnType<typeof createShredStore>;

/** Puts a saved shred state into a restored data directory (`chatvault backup restore --shred-from`). */
export function restoreShredState(file: string, dataDir: string): void {
  const paths = shredPaths(dataDir);
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  fs.copyFileSync(file, paths.state, fs.constants.COPYFILE_EXCL);
  fs.chmodSync(paths.state, 0o600);
}
