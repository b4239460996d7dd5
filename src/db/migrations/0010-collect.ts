import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Secure collection links (features/collect): one row per link — its token only as a SHA-256 hash,
 * single use, an expiry — and per-tenant settings (the end-to-end notice texts, staff-written).
 * Submitted forms are stored as messages (ciphertext from the browser), not here.
 */
export function collect(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('collect_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('token_hash', blob, (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('message_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('collect_links_conversation')
        .on('collect_links')
        .columns(['tenant_id', 'conversation_id'])
        .execute();
      await db.schema
        .createTable('collect_settings')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('notice', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('collect_settings').execute();
      await db.schema.dropTable('collect_links').execute();
    },
  };
}
