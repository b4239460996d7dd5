import type { Clock } from '../../lib/clock.ts';
import { SealedError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db, Dialect } from '../../db/database.ts';
import type { Singleton } from '../../db/singleton.ts';
import type { AuditSigner } from '../keys/audit-keys.ts';
import type { Keyring } from '../keys/keyring.ts';
import * as repo from './audit.repository.ts';
import type { AuditEntriesTable, AuditHeadsTable, AuditNodesTable } from './audit.table.ts';
import { Frontier, GENESIS, chainHash, chainedFromRow } from './chain.ts';
import { checkpointMessage } from './checkpoint.ts';
import type { PendingRows } from './pending-rows.ts';

export interface SequencerOptions {
  /** Sign a checkpoint once this many entries are not yet covered by one (default 1000). */
  readonly checkpointEvery: number;
  /** …or once this many seconds passed since the last checkpoint and there are new entries (default 1). */
  readonly checkpointSeconds: number;
  /** Pending entries chained per transaction (default 1000). */
  readonly batchSize: number;
  /** Time between two runs of the background timer, in ms (default 250: entries chain within ~0.3 s). */
  readonly intervalMs: number;
}

export const DEFAULT_SEQUENCER_OPTIONS: SequencerOptions = {
  checkpointEvery: 1000,
  checkpointSeconds: 1,
  batchSize: 1000,
  intervalMs: 250,
};

/** Stored Merkle nodes: complete subtrees at these levels (2^8, 2^16… leaves). */
export const NODE_LEVEL_STRIDE = 8;

export interface SequenceResult {
  readonly sequenced: number;
  readonly checkpoints: number;
  /** Tenants whose run failed (logged); one tenant's broken state never stops the others. */
  readonly failed: number;
}

/**
 * The sequencer: gives pending entries their seq and chain hash, maintains the Merkle compact range
 * and stored nodes, and signs checkpoints. It is the only writer of seq/hash for a tenant: on
 * PostgreSQL a transaction-scoped advisory lock per tenant plus the head row lock; on SQLite the
 * database write lock (its first statement is a write). Pending entries are durable rows, so a crash
 * only delays their chaining to the next run.
 */
export function createSequencer(deps: {
  db: Db;
  dialect: Dialect;
  keyring: Pick<Keyring, 'auditSigner'>;
  clock: Clock;
  logger: Logger;
  options: SequencerOptions;
  /**
   * Several processes: the background timer runs in one process at a time (the others skip their
   * tick). Explicit `run()` calls are not gated; the per-tenant advisory lock keeps them correct.
   */
  singleton?: Singleton;
  /** Rows this process appended, hashed without reading them back (pending-rows.ts). */
  pendingRows: PendingRows;
}) {
  const { db, dialect, clock, options } = deps;
  let current: Promise<SequenceResult> = Promise.resolve({ sequenced: 0, checkpoints: 0, failed: 0 });
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  async function signerFor(tenantId: string): Promise<AuditSigner | null> {
    try {
      return await deps.keyring.auditSigner(tenantId);
    } catch (error) {
      if (!(error instanceof SealedError))
        deps.logger.warn({ tenantId }, 'audit: no signing key for checkpoints');
      return null;
    }
  }

  function checkpointDue(head: AuditHeadsTable, force: boolean): boolean {
    const uncovered = Number(head.size) - Number(head.checkpoint_size);
    if (uncovered <= 0) return false;
    if (force || uncovered >= options.checkpointEvery || head.checkpoint_at === null) return true;
    return clock.now().getTime() - Date.parse(head.checkpoint_at) >= options.checkpointSeconds * 1000;
  }

  /** The oldest pending entries in id order: kept rows as appended here, the others read back. */
  async function pendingEntries(trx: Db, tenantId: string): Promise<AuditEntriesTable[]> {
    const ids = await repo.pendingIds(trx, tenantId, options.batchSize);
    const kept = ids.map((id) => deps.pendingRows.take(id));
    const missing = ids.filter((_, i) => kept[i] === undefined);
    const read = new Map((await repo.pendingByIds(trx, tenantId, missing)).map((r) => [r.id, r]));
    const rows: AuditEntriesTable[] = [];
    for (const [i, id] of ids.entries()) {
      const row = kept[i] ?? read.get(id);
      if (!row) break; // cannot happen under the tenant lock; chain no entry out of id order
      rows.push(row);
    }
    return rows;
  }

  /** Chains up to one batch of a tenant's pending entries and signs a checkpoint when one is due. */
  async function step(tenantId: string, force: boolean): Promise<{ sequenced: number; checkpoints: number }> {
    const signer = await signerFor(tenantId);
    return db.transaction().execute(async (trx) => {
      if (!(await repo.tryLockTenant(trx, dialect, tenantId))) return { sequenced: 0, checkpoints: 0 };
      const head = await repo.lockHead(trx, dialect, {
        tenant_id: tenantId,
        size: 0,
        hash: GENESIS,
        frontier: Buffer.alloc(0),
        checkpoint_count: 0,
        checkpoint_size: 0,
        checkpoint_at: null,
      });
      const pending = await pendingEntries(trx, tenantId);
      const frontier = Frontier.restore(Number(head.size), head.frontier);
      let previous: Buffer = Buffer.from(head.hash);
      const updates: Array<{ id: string; seq: number; hash: Buffer }> = [];
      const nodes: AuditNodesTable[] = [];
      const keepNode = (level: number, idx: number, hash: Buffer) => {
        if (level % NODE_LEVEL_STRIDE === 0) nodes.push({ tenant_id: tenantId, level, idx, hash });
      };
      for (const row of pending) {
        const seq = frontier.size;
        const hash = chainHash(previous, chainedFromRow(row, seq));
        frontier.append(hash, keepNode);
        updates.push({ id: row.id, seq, hash });
        previous = hash;
      }
      await repo.assignSequence(trx, dialect, tenantId, updates);
      await repo.insertNodes(trx, nodes);
      const next: AuditHeadsTable = {
        ...head,
        size: frontier.size,
        hash: previous,
        frontier: frontier.serialize(),
      };
      let checkpoints = 0;
      if (signer && checkpointDue(next, force)) {
        const unsigned = {
          tenantId,
          ordinal: Number(head.checkpoint_count),
          treeSize: frontier.size,
          rootHash: frontier.root(),
          chainHead: previous,
          time: clock.now().toISOString(),
          keyVersion: signer.version,
        };
        await repo.insertCheckpoint(trx, {
          tenant_id: tenantId,
          ordinal: unsigned.ordinal,
          tree_size: unsigned.treeSize,
          root_hash: unsigned.rootHash,
          chain_head: unsigned.chainHead,
          time: unsigned.time,
          key_version: unsigned.keyVersion,
          signature: signer.sign(checkpointMessage(unsigned)),
        });
        next.checkpoint_count = unsigned.ordinal + 1;
        next.checkpoint_size = unsigned.treeSize;
        next.checkpoint_at = unsigned.time;
        checkpoints = 1;
      }
      await repo.saveHead(trx, next);
      return { sequenced: pending.length, checkpoints };
    });
  }

  async function runOnce(force: boolean): Promise<SequenceResult> {
    let sequenced = 0;
    let checkpoints = 0;
    let failed = 0;
    for (const tenantId of await repo.tenantsWithWork(db)) {
      try {
        for (;;) {
          const r = await step(tenantId, force);
          sequenced += r.sequenced;
          checkpoints += r.checkpoints;
          if (r.sequenced < options.batchSize) break;
        }
      } catch (error) {
        failed++;
        deps.logger.error(
          { err: error, tenantId },
          'audit sequencer failed for a tenant; run `chatvault audit verify`',
        );
      }
    }
    return { sequenced, checkpoints, failed };
  }

  /** One run over every tenant with work; runs in this process never overlap. */
  function run(opts: { forceCheckpoint?: boolean } = {}): Promise<SequenceResult> {
    const next = current.catch(() => undefined).then(() => runOnce(opts.forceCheckpoint ?? false));
    current = next;
    return next;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void (deps.singleton ? deps.singleton.run('audit-sequencer', () => run()) : run())
        .catch((error: unknown) => deps.logger.error({ err: error }, 'audit sequencer run failed'))
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  }

  return {
    run,

    /** Starts the background timer (idempotent). */
    start: (): void => {
      if (!stopped) return;
      stopped = false;
      schedule();
    },

    /** Stops the timer, waits for a run in progress, then chains what is still pending once more. */
    stop: async (): Promise<void> => {
      stopped = true;
      clearTimeout(timer);
      try {
        await run();
      } catch (error) {
        deps.logger.error({ err: error }, 'audit sequencer final run failed');
      }
    },
  };
}

export type Sequencer = ReturnType<typeof createSequencer>;
