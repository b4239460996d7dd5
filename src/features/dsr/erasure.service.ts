import fs from 'node:fs';
import { sql } from 'kysely';
import path from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/database.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { ShredStore } from './shred-store.ts';

const PURGE_BATCH = 500;

/** Tables of other features whose rows name an erased customer and go with the customer's rows. */
const LINKED_TABLES = ['collect_links', 'campaign_recipients'] as const;

export interface ErasureOutcome {
  readonly tombstoneId: string;
  /** Time from the request to the customer's key being unusable everywhere (secret destroyed, key row cleared). */
  readonly keyDestroyedMs: number;
}

/**
 * Crypto-shredding: the customer's shredding secret is destroyed (outside the database, so old backups
 * die with it), the wrapped key and every identifying column are cleared in one transaction with a
 * tombstone and an audit entry; the rows themselves are deleted afterwards by `purge`, in batches.
 */
export function createErasure(deps: {
  db: Db;
  keyring: Pick<Keyring, 'forgetContactKey' | 'contactKeyLeaf'>;
  shred: Pick<ShredStore, 'destroy'>;
  audit: Pick<AuditService, 'append'>;
  blobsDir: string;
  clock: Clock;
}) {
  const { db, clock } = deps;

  async function erase(
    tenantId: string,
    contactId: string,
    by: { actor: AuditActor; origin: 'request' | 'retention' | 'cli'; requestId?: string },
  ): Promise<ErasureOutcome> {
    const started = performance.now();
    const contact = await db
      .selectFrom('contacts')
      .select(['id', 'key_version', 'key_wrapped'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', contactId)
      .executeTakeFirst();
    if (!contact) throw new NotFoundError('Contact');
    const hold = await db
      .selectFrom('legal_holds')
      .select('contact_id')
      .where('contact_id', '=', contactId)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (hold) throw new ConflictError('The customer is under legal hold; release the hold first');
    // Every key version of the customer is bound to its own leaf; all of them are destroyed at once.
    const versions = await db
      .selectFrom('contact_keys')
      .select(['version', 'wrapped'])
      .where('contact_id', '=', contactId)
      .where('tenant_id', '=', tenantId)
      .execute();
    if (contact.key_wrapped) versions.push({ version: contact.key_version, wrapped: contact.key_wrapped });
    const leaves: number[] = [];
    for (const v of versions) {
      const leaf = await deps.keyring.contactKeyLeaf(tenantId, contactId, v.version, v.wrapped);
      if (leaf !== undefined) leaves.push(leaf);
    }
    deps.shred.destroy(leaves);
    const tombstoneId = newId('ts');
    const now = clock.now().toISOString();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('contacts')
        .set({
          key_wrapped: null,
          user_key: null,
          wa_key: null,
          phone_ct: null,
          phone_bidx: null,
          phone_last4_bidx: null,
          phone_is_wa_id: 0,
          country: 'ZZ',
          name_ct: null,
          email_ct: null,
          email_bidx: null,
          attributes_ct: null,
          tags: '[]',
          updated_at: now,
        })
        .where('id', '=', contactId)
        .execute();
      await trx.deleteFrom('contact_keys').where('contact_id', '=', contactId).execute();
      await trx.deleteFrom('consent_state').where('contact_id', '=', contactId).execute();
      await trx
        .insertInto('dsr_tombstones')
        .values({
          id: tombstoneId,
          tenant_id: tenantId,
          contact_id: contactId,
          origin: by.origin,
          request_id: by.requestId ?? null,
          erased_at: now,
          purge_status: 'pending',
          purged_at: null,
        })
        .execute();
      await deps.audit.append(trx, {
        tenantId,
        actor: by.actor,
        action: 'key_destroy',
        target: { type: 'contact', id: contactId },
        outcome: 'success',
        detail: {
          erasure: tombstoneId,
          origin: by.origin,
          shredded: leaves.length,
          legacyKeys: versions.length - leaves.length,
        },
      });
    });
    for (let v = 1; v <= contact.key_version; v++) deps.keyring.forgetContactKey(contactId, v);
    return { tombstoneId, keyDestroyedMs: performance.now() - started };
  }

  /** Deletes one erased customer's rows and media, a batch per transaction; safe to rerun. */
  async function purgeOne(tenantId: string, contactId: string): Promise<number> {
    let removed = 0;
    for (;;) {
      const media = await db
        .selectFrom('media')
        .select('id')
        .where('contact_id', '=', contactId)
        .limit(PURGE_BATCH)
        .execute();
      if (media.length === 0) break;
      for (const m of media)
        fs.rmSync(path.join(deps.blobsDir, tenantId, m.id.slice(-2), m.id), { force: true });
      await db
        .deleteFrom('media')
        .where(
          'id',
          'in',
          media.map((m) => m.id),
        )
        .execute();
      removed += media.length;
    }
    for (;;) {
      const batch = await db
        .selectFrom('messages')
        .select(['id', 'wamid_key'])
        .where('contact_id', '=', contactId)
        .limit(PURGE_BATCH)
        .execute();
      if (batch.length === 0) break;
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('message_statuses')
          .where('tenant_id', '=', tenantId)
          .where(
            'wamid_key',
            'in',
            batch.map((m) => m.wamid_key),
          )
          .execute();
        await trx
          .deleteFrom('messages')
          .where(
            'id',
            'in',
            batch.map((m) => m.id),
          )
          .execute();
      });
      removed += batch.length;
    }
    await db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('conversations')
        .where('tenant_id', '=', tenantId)
        .where('contact_id', '=', contactId)
        .execute();
      await trx.deleteFrom('consent_events').where('contact_id', '=', contactId).execute();
      await trx.deleteFrom('consent_state').where('contact_id', '=', contactId).execute();
      await trx.deleteFrom('contact_keys').where('contact_id', '=', contactId).execute();
      // Other features' rows that only point at the customer (no personal data, but a link to them).
      // Incident records keep theirs: they are the breach documentation the law requires.
      for (const table of LINKED_TABLES) {
        await sql`delete from ${sql.table(table)} where tenant_id = ${tenantId} and contact_id = ${contactId}`.execute(
          trx,
        );
      }
      await trx
        .deleteFrom('contacts')
        .where('id', '=', contactId)
        .where('tenant_id', '=', tenantId)
        .execute();
      await trx
        .updateTable('dsr_tombstones')
        .set({ purge_status: 'done', purged_at: clock.now().toISOString() })
        .where('contact_id', '=', contactId)
        .where('purge_status', '=', 'pending')
        .execute();
    });
    return removed + 1;
  }

  return {
    erase,
    purgeOne,

    /** Purges every erased customer whose rows are still there (the background half of an erasure). */
    async purgePending(limit = 100): Promise<number> {
      const pending = await db
        .selectFrom('dsr_tombstones')
        .select(['tenant_id', 'contact_id'])
        .where('purge_status', '=', 'pending')
        .orderBy('erased_at')
        .limit(limit)
        .execute();
      for (const t of pending) await purgeOne(t.tenant_id, t.contact_id);
      return pending.length;
    },
  };
}

export type Erasure = ReturnType<typeof createErasure>;
