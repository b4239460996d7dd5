import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Customers without a user id (most WhatsApp customers) or without an email stay out of those two
 * indexes. Every index an insert touches is one more page the commit writes to the WAL and syncs,
 * so a new WhatsApp-only customer now writes one page fewer. Lookups (`user_key = ?`,
 * `email_bidx = ?`) imply `is not null`, so both databases still use the indexes for them, and the
 * user key stays unique per tenant where it exists.
 */
export function contactsSparseIndexes(_dialect: Dialect): Migration {
  return {
    up: (db: Kysely<unknown>) => rebuildIndexes(db, { sparse: true }),
    down: (db: Kysely<unknown>) => rebuildIndexes(db, { sparse: false }),
  };
}

const INDEXES = [
  { name: 'contacts_user_key', column: 'user_key', unique: true },
  { name: 'contacts_email_bidx', column: 'email_bidx', unique: false },
] as const;

async function rebuildIndexes(db: Kysely<unknown>, options: { sparse: boolean }): Promise<void> {
  for (const { name, column, unique } of INDEXES) {
    await db.schema.dropIndex(name).execute();
    let index = db.schema.createIndex(name).on('contacts').columns(['tenant_id', column]);
    if (unique) index = index.unique();
    if (options.sparse) index = index.where(sql.ref(column), 'is not', null);
    await index.execute();
  }
}
