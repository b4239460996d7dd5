import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Access policies: tenant policies and the policy-set version, conversation assignments, canary
 * flags, break-glass grants, four-eyes approval requests, training records and the reveal counter.
 */
export function access(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('access_policy_sets')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('access_policies')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('added_in_version', 'integer', (c) => c.notNull())
        .addColumn('disabled_in_version', 'integer')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('disabled_by', 'text')
        .addColumn('disabled_at', 'text')
        .execute();
      await db.schema
        .createIndex('access_policies_tenant')
        .on('access_policies')
        .columns(['tenant_id', 'status'])
        .execute();

      await db.schema
        .createTable('access_assignments')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
        .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id'))
        .addColumn('assigned_by', 'text', (c) => c.notNull())
        .addColumn('assigned_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('access_assignments_pk', ['tenant_id', 'contact_id', 'operator_id'])
        .execute();
      await db.schema
        .createIndex('access_assignments_operator')
        .on('access_assignments')
        .columns(['tenant_id', 'operator_id'])
        .execute();

      await db.schema
        .createTable('access_canaries')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('access_canaries_pk', ['tenant_id', 'contact_id'])
        .execute();

      await db.schema
        .createTable('break_glass_grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id'))
        .addColumn('reason_ct', blob, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_by', 'text')
        .execute();
      await db.schema
        .createIndex('break_glass_grants_operator')
        .on('break_glass_grants')
        .columns(['tenant_id', 'operator_id', 'expires_at'])
        .execute();

      await db.schema
        .createTable('approval_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload_ref', 'text', (c) => c.notNull())
        .addColumn('requester_id', 'text', (c) => c.notNull().references('operators.id'))
        .addColumn('reason_ct', blob, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .addColumn('executed_at', 'text')
        .execute();
      await db.schema
        .createIndex('approval_requests_tenant')
        .on('approval_requests')
        .columns(['tenant_id', 'status', 'created_at'])
        .execute();

      await db.schema
        .createTable('training_records')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('evidence_ref', 'text')
        .addColumn('recorded_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('training_records_operator')
        .on('training_records')
        .columns(['tenant_id', 'operator_id', 'kind'])
        .execute();

      await db.schema
        .createTable('access_reveals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('field', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('access_reveals_operator')
        .on('access_reveals')
        .columns(['tenant_id', 'operator_id', 'at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        'access_reveals',
        'training_records',
        'approval_requests',
        'break_glass_grants',
        'access_canaries',
        'access_assignments',
        'access_policies',
        'access_policy_sets',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
