import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Privacy operations: the derived consent state (beside the append-only `consent_events` ledger),
 * per-tenant consent/retention/DSR settings, data-subject requests, erasure tombstones, legal holds
 * and retention runs. Nothing here holds personal data in the clear: `_ct` columns are AEAD
 * ciphertexts, ids are random.
 */
export function privacy(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('consent_state')
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('consent_state_pk', ['contact_id', 'purpose'])
        .execute();
      await db.schema
        .createIndex('consent_state_tenant')
        .on('consent_state')
        .columns(['tenant_id', 'purpose', 'state'])
        .execute();

      // Settings are labels, numbers and keyword lists chosen by staff: never personal data.
      await db.schema
        .createTable('privacy_settings')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('area', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('privacy_settings_pk', ['tenant_id', 'area'])
        .execute();

      await db.schema
        .createTable('dsr_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('regime', 'text', (c) => c.notNull())
        .addColumn('reason_ct', blob)
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('due_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .addColumn('download_hash', blob)
        .addColumn('download_expires_at', 'text')
        .addColumn('download_file', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('dsr_requests_tenant')
        .on('dsr_requests')
        .columns(['tenant_id', 'status', 'due_at'])
        .execute();

      await db.schema
        .createTable('dsr_tombstones')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('erased_at', 'text', (c) => c.notNull())
        .addColumn('purge_status', 'text', (c) => c.notNull())
        .addColumn('purged_at', 'text')
        .execute();
      await db.schema
        .createIndex('dsr_tombstones_pending')
        .on('dsr_tombstones')
        .columns(['purge_status', 'erased_at'])
        .execute();

      await db.schema
        .createTable('legal_holds')
        .addColumn('contact_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('reason_ct', blob)
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('retention_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('cursor', 'text', (c) => c.notNull())
        .addColumn('cutoffs', 'text', (c) => c.notNull())
        .addColumn('counts', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema
        .createIndex('retention_runs_tenant')
        .on('retention_runs')
        .columns(['tenant_id', 'status'])
        .execute();

      // Erasure finds a customer's media, retention the media past its age; both without a scan.
      await db.schema.createIndex('media_contact').on('media').column('contact_id').execute();
      await db.schema
        .createIndex('media_tenant_created')
        .on('media')
        .columns(['tenant_id', 'created_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('media_contact').execute();
      await db.schema.dropIndex('media_tenant_created').execute();
      for (const table of [
        'retention_runs',
        'legal_holds',
        'dsr_tombstones',
        'dsr_requests',
        'privacy_settings',
        'consent_state',
      ])
        await db.schema.dropTable(table).execute();
    },
  };
}
