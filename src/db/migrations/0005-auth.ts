import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/** Operator sign-in: credentials, sessions, enrollment links, guessing counters and tenant settings. */
export function auth(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('auth_passwords')
        .addColumn('operator_id', 'text', (c) => c.primaryKey().references('operators.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('pepper_version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('auth_totp')
        .addColumn('operator_id', 'text', (c) => c.primaryKey().references('operators.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('seed_ct', blob, (c) => c.notNull())
        .addColumn('last_step', 'bigint')
        .addColumn('confirmed_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('auth_passkeys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id'))
        .addColumn('credential_id', 'text', (c) => c.notNull().unique())
        .addColumn('public_key', blob, (c) => c.notNull())
        .addColumn('counter', 'bigint', (c) => c.notNull())
        .addColumn('transports', 'text', (c) => c.notNull())
        .addColumn('device_type', 'text', (c) => c.notNull())
        .addColumn('backed_up', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .execute();
      await db.schema
        .createIndex('auth_passkeys_operator')
        .on('auth_passkeys')
        .column('operator_id')
        .execute();

      await db.schema
        .createTable('auth_recovery_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id'))
        .addColumn('code_hash', blob, (c) => c.notNull())
        .addColumn('key_version', 'integer', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('auth_recovery_codes_operator')
        .on('auth_recovery_codes')
        .columns(['operator_id', 'code_hash'])
        .execute();

      await db.schema
        .createTable('auth_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('id_hash', blob, (c) => c.notNull().unique())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('idle_seconds', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('mfa_verified_at', 'text')
        .addColumn('mfa_method', 'text')
        .addColumn('challenge', 'text')
        .addColumn('challenge_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createIndex('auth_sessions_operator')
        .on('auth_sessions')
        .columns(['tenant_id', 'operator_id'])
        .execute();

      await db.schema
        .createTable('auth_enrollments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', blob, (c) => c.notNull().unique())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .execute();

      await db.schema
        .createTable('auth_throttle')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_start', 'text', (c) => c.notNull())
        .addColumn('blocked_until', 'text')
        .addColumn('hard_locked', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('auth_settings')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
        .addColumn('idle_timeout_s', 'integer', (c) => c.notNull())
        .addColumn('absolute_timeout_s', 'integer', (c) => c.notNull())
        .addColumn('require_passkey_admins', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        'auth_settings',
        'auth_throttle',
        'auth_enrollments',
        'auth_sessions',
        'auth_recovery_codes',
        'auth_passkeys',
        'auth_totp',
        'auth_passwords',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
