import type { Clock } from '../../lib/clock.ts';
import type { AeadKey } from '../../lib/crypto/aead.ts';
import { newId } from '../../lib/ids.ts';
import type { Logger } from '../../lib/logger.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db, Dialect } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Vault } from '../vault/vault.ts';
import * as repo from './audit.repository.ts';
import {
  auditFacts,
  auditQuery,
  checkpointQuery,
  type AuditAction,
  type AuditActor,
  type AuditFacts,
  type AuditOutcome,
  type AuditQuery,
  type AuditTarget,
} from './audit.schema.ts';
import type { AuditEntriesTable } from './audit.table.ts';
import { checkpointToJson, toCheckpoint, type CheckpointJson } from './checkpoint.ts';
import { entryToJson, type AuditEntryJson } from './entry-json.ts';
import { exportTenant } from './export.ts';
import { checkedFacts } from './facts-check.ts';
import { createProofs } from './proofs.ts';
import type { Singleton } from '../../db/singleton.ts';
import { createPendingRows } from './pending-rows.ts';
import { createRequestScope } from './request-scope.ts';
import { DEFAULT_SEQUENCER_OPTIONS, createSequencer, type SequencerOptions } from './sequencer.ts';
import { verifyTenant, type TenantVerification, type TrustedAnchor } from './verify.ts';

/** One thing that happened. `reason` and `detail` are encrypted before they are stored. */
export interface AuditEvent {
  readonly tenantId: string;
  readonly actor: AuditActor;
  readonly action: AuditAction;
  readonly target: AuditTarget;
  readonly outcome: AuditOutcome;
  /** Why (a justification typed by staff): stored encrypted, never in clear. */
  readonly reason?: string;
  readonly detail?: Record<string, unknown>;
  /**
   * The customer the reason/detail is about, with that customer's data key (already in the
   * caller's hands): they are encrypted under it, so erasing the customer erases them too.
   * Without a subject they are encrypted under the tenant `restricted` key.
   */
  readonly subject?: { readonly contactId: string; readonly key: AeadKey };
  readonly policyIds?: readonly string[];
  readonly clientIp?: string;
  readonly requestId?: string;
  /**
   * The public id of the sign-in session (never its secret). Optional: an event naming the request
   * it is written in gets that request's session from {@link RequestScope} when the request is signed in.
   */
  readonly sessionId?: string;
}

/** An event already encrypted by {@link AuditService.prepare}, ready to append inside a transaction. */
export interface PreparedAuditEvent {
  readonly prepared: AuditEntriesTable;
}

export interface AuditPage {
  readonly entries: AuditEntryJson[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: number | null;
}

/**
 * The tamper-evident audit log: `append` inside the caller's transaction, a sequencer that chains
 * and checkpoints in the background, auditor queries, Merkle proofs, verification and export.
 */
export function createAuditService(deps: {
  db: Db;
  dialect: Dialect;
  keyring: Pick<Keyring, 'tenantKey' | 'cachedTenantKey' | 'auditSigner' | 'auditPublicKeys'>;
  vault: Pick<Vault, 'seal'>;
  clock: Clock;
  logger: Logger;
  /** The SQLite database file, if any: verification reads it through a connection of its own. */
  sqliteFile?: string;
  options?: Partial<SequencerOptions>;
  /** Gates the background sequencer to one process at a time (src/db/singleton.ts). */
  singleton?: Singleton;
}) {
  const { db } = deps;
  const pendingRows = createPendingRows();
  const sequencer = createSequencer({
    ...deps,
    pendingRows,
    options: { ...DEFAULT_SEQUENCER_OPTIONS, ...deps.options },
  });
  const proofs = createProofs({ db });
  const requestScope = createRequestScope();

  // Pending entries are chained in id order: ids from this process must never go backwards, even
  // within one millisecond (newId's random tail would), so appends keep their order in the chain.
  // Within one millisecond the next id is the successor of the last (no randomness needed).
  let lastId = '';
  let lastMs = 0;
  function nextEntryId(): string {
    const ms = Date.now();
    let id = ms === lastMs ? successor(lastId) : newId('ae');
    if (id <= lastId) id = successor(lastId);
    lastId = id;
    lastMs = ms;
    return id;
  }

  /**
   * Validates and encrypts one event into a pending row. Synchronous when the event's key is at hand
   * (a subject's key, or the tenant `restricted` key in memory): every audited action appends, and
   * an await there cost more than the key lookup it waited for.
   */
  function toRow(event: AuditEvent): AuditEntriesTable | Promise<AuditEntriesTable> {
    const facts = checkedFacts(event) ?? parseInput(auditFacts, event); // the schema explains rejections
    const hasSecret = facts.reason !== undefined || facts.detail !== undefined;
    const key =
      event.subject?.key ??
      (hasSecret ? deps.keyring.cachedTenantKey(facts.tenantId, 'restricted') : undefined);
    if (hasSecret && key === undefined) {
      return deps.keyring.tenantKey(facts.tenantId, 'restricted').then((k) => sealRow(event, facts, k));
    }
    return sealRow(event, facts, key);
  }

  function sealRow(event: AuditEvent, facts: AuditFacts, key: AeadKey | undefined): AuditEntriesTable {
    const id = nextEntryId();
    const secret = (column: string, value: string | undefined) =>
      value === undefined || !key
        ? null
        : deps.vault.seal(
            key,
            { tenantId: facts.tenantId, table: 'audit_entries', column, rowId: id },
            value,
          );
    return {
      id,
      tenant_id: facts.tenantId,
      seq: null,
      hash: null,
      time: deps.clock.now().toISOString(),
      actor_type: facts.actor.type,
      actor_id: facts.actor.id,
      action: facts.action,
      target_type: facts.target.type,
      target_id: facts.target.id,
      outcome: facts.outcome,
      reason_ct: secret('reason', facts.reason),
      detail_ct: secret('detail', facts.detail === undefined ? undefined : JSON.stringify(facts.detail)),
      subject_id: event.subject?.contactId ?? null,
      policy_ids: JSON.stringify(facts.policyIds ?? []),
      client_ip: facts.clientIp ?? null,
      request_id: facts.requestId ?? null,
      session_id: facts.sessionId ?? requestScope.sessionOf(facts.requestId) ?? null,
    };
  }

  const rowOf = (event: AuditEvent | PreparedAuditEvent) =>
    'prepared' in event ? event.prepared : toRow(event);

  async function insert(trx: Db, rows: readonly AuditEntriesTable[]): Promise<void> {
    await repo.insertEntries(trx, deps.dialect, rows);
    pendingRows.remember(rows);
  }

  return {
    /** Lets entries written in a signed-in request carry its session (`app.ts` registers it). */
    requestScope,

    /**
     * Validates and encrypts an event before a transaction opens, so no key is loaded (possibly from
     * an HSM) while the transaction holds locks. Optional: `append` does the same work itself.
     */
    async prepare(event: AuditEvent): Promise<PreparedAuditEvent> {
      return { prepared: await toRow(event) };
    },

    /**
     * Records an event inside the caller's transaction (`trx`), so the action and its entry commit or
     * roll back together. The entry is pending until the sequencer chains it (well under a second).
     * @example await db.transaction().execute(async (trx) => { …; await audit.append(trx, event); });
     */
    async append(trx: Db, event: AuditEvent | PreparedAuditEvent): Promise<void> {
      const row = rowOf(event);
      await insert(trx, [row instanceof Promise ? await row : row]);
    },

    /** Records several events in one multi-row insert, inside the caller's transaction. */
    async appendMany(trx: Db, events: ReadonlyArray<AuditEvent | PreparedAuditEvent>): Promise<void> {
      await insert(trx, await Promise.all(events.map(async (e) => rowOf(e))));
    },

    /** Records a system event (seal, unseal) in every tenant's chain, in one transaction. */
    async appendToAllTenants(facts: Omit<AuditEvent, 'tenantId' | 'reason' | 'detail' | 'subject'>) {
      const tenantIds = await repo.auditTenants(db);
      if (tenantIds.length === 0) return;
      const rows = await Promise.all(tenantIds.map(async (tenantId) => toRow({ ...facts, tenantId })));
      await db.transaction().execute((trx) => insert(trx, rows));
    },

    /** Chains pending entries and signs due checkpoints now (the background timer does this too). */
    sequence: sequencer.run,
    /** Starts the background sequencer (the server does; CLI commands chain on close). */
    start: sequencer.start,
    stop: sequencer.stop,

    /** Auditor search over chained entries: filters, newest first by default, keyset-paged on seq. */
    async query(tenantId: string, filter: AuditQuery = {}): Promise<AuditPage> {
      const f = parseInput(auditQuery, filter);
      const rows = await repo.queryEntries(db, tenantId, f);
      const entries = rows.map(entryToJson);
      return { entries, nextCursor: rows.length === f.limit ? entries.at(-1)!.seq : null };
    },

    /** Signed checkpoints in order, paged on their ordinal. */
    async checkpoints(tenantId: string, page: { cursor?: number; limit?: number } = {}) {
      const p = parseInput(checkpointQuery, page);
      const rows = await repo.checkpoints(db, tenantId, p.cursor ?? -1, p.limit);
      const items: CheckpointJson[] = rows.map((r) => checkpointToJson(toCheckpoint(r)));
      return { checkpoints: items, nextCursor: rows.length === p.limit ? items.at(-1)!.ordinal : null };
    },

    inclusionProof: proofs.inclusion,
    consistencyProof: proofs.consistency,

    /** Recomputes one tenant's chain, roots and signatures; reports the first problem. */
    verify(tenantId: string, anchor?: TrustedAnchor): Promise<TenantVerification> {
      return verifyTenant(
        { db, dialect: deps.dialect, sqliteFile: deps.sqliteFile, keyring: deps.keyring },
        tenantId,
        anchor,
      );
    },

    /** Every tenant that has, or should have, a chain (for `audit verify` without `--tenant`). */
    tenantIds: () => repo.auditTenants(db),

    /** Writes one tenant's log as JSON lines (entries, checkpoints, public keys). */
    export(tenantId: string, write: (line: string) => void | Promise<void>) {
      return exportTenant({ db, keyring: deps.keyring }, tenantId, write);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** The next id in sort order (base-32 increment of the tail, as monotonic ULIDs do). */
function successor(id: string): string {
  const chars = id.split('');
  for (let i = chars.length - 1; chars[i] !== '_'; i--) {
    const digit = ALPHABET.indexOf(chars[i]!);
    if (digit < ALPHABET.length - 1) {
      chars[i] = ALPHABET[digit + 1]!;
      return chars.join('');
    }
    chars[i] = ALPHABET[0]!;
  }
  throw new RangeError('id space exhausted');
}
