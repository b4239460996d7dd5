import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Third parties: the vendor register, vendor API keys (keyed hashes only), outbound webhook
 * subscriptions (signing secrets sealed under the tenant `restricted` key) and their delivery log.
 */
export function vendors(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('vendors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('risk_tier', 'text', (c) => c.notNull())
        .addColumn('data_categories', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('transfer_mechanism', 'text', (c) => c.notNull())
        .addColumn('dpa_signed_at', 'text')
        .addColumn('dpa_expires_at', 'text')
        .addColumn('certifications', 'text', (c) => c.notNull())
        .addColumn('sub_processors', 'text', (c) => c.notNull())
        .addColumn('breach_notice_hours', 'integer', (c) => c.notNull())
        .addColumn('last_review_at', 'text')
        .addColumn('next_review_at', 'text', (c) => c.notNull())
        .addColumn('open_findings', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('suspended_reason', 'text')
        .addColumn('suspended_at', 'text')
        .addColumn('pseudonym_key_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vendors_tenant').on('vendors').columns(['tenant_id', 'name']).execute();

      await db.schema
        .createTable('vendor_api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('vendor_id', 'text', (c) => c.notNull().references('vendors.id'))
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('secret_hash', blob, (c) => c.notNull())
        .addColumn('hash_key_version', 'integer', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('ip_allowlist', 'text', (c) => c.notNull())
        .addColumn('rate_per_minute', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_by', 'text')
        .addColumn('last_used_at', 'text')
        .addColumn('last_used_ip', 'text')
        .execute();
      await db.schema
        .createIndex('vendor_api_keys_vendor')
        .on('vendor_api_keys')
        .columns(['tenant_id', 'vendor_id'])
        .execute();

      await db.schema
        .createTable('vendor_webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('vendor_id', 'text', (c) => c.notNull().references('vendors.id'))
        .addColumn('key_id', 'text', (c) => c.notNull().references('vendor_api_keys.id'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('secret_ct', blob, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('disabled_at', 'text')
        .execute();
      await db.schema
        .createIndex('vendor_webhooks_tenant')
        .on('vendor_webhooks')
        .columns(['tenant_id', 'vendor_id'])
        .execute();

      await db.schema
        .createTable('vendor_webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('webhook_id', 'text', (c) => c.notNull().references('vendor_webhooks.id'))
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('vendor_webhook_deliveries_webhook')
        .on('vendor_webhook_deliveries')
        .columns(['tenant_id', 'webhook_id', 'at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('vendor_webhook_deliveries').execute();
      await db.schema.dropTable('vendor_webhooks').execute();
      await db.schema.dropTable('vendor_api_keys').execute();
      await db.schema.dropTable('vendors').execute();
    },
  };
}
