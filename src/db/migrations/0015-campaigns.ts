import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Consent-based campaigns: synced message templates, saved segments, a plain country per customer
 * (derived once from the phone's calling code; not identifying), campaigns, one recipient row per
 * campaign × customer (the UNIQUE primary key is what makes a double send impossible), a shared pacer
 * per phone number, and alerts raised by quality signals. No column holds personal data in the clear.
 */
export function campaigns(dialect: Dialect): Migration {
  const int = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('campaign_templates')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('meta_id', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('parameters', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('synced_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('campaign_templates_pk', ['tenant_id', 'channel_id', 'name', 'language'])
        .execute();
      await db.schema
        .createIndex('campaign_templates_meta_id')
        .on('campaign_templates')
        .columns(['channel_id', 'meta_id'])
        .execute();

      await db.schema
        .createTable('segments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('segments_tenant').on('segments').columns(['tenant_id', 'name']).execute();

      await db.schema
        .createTable('contact_countries')
        .addColumn('contact_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('country', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('contact_countries_tenant')
        .on('contact_countries')
        .columns(['tenant_id', 'country'])
        .execute();

      await db.schema
        .createTable('campaigns')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('template_name', 'text', (c) => c.notNull())
        .addColumn('template_language', 'text', (c) => c.notNull())
        .addColumn('parameters', 'text', (c) => c.notNull())
        .addColumn('segment', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('scheduled_at', 'text')
        .addColumn('quiet_start', int)
        .addColumn('quiet_end', int)
        .addColumn('daily_cap', int)
        .addColumn('rate_per_s', int, (c) => c.notNull())
        .addColumn('quality_stop_after', int, (c) => c.notNull())
        .addColumn('stop_reason', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('campaigns_status')
        .on('campaigns')
        .columns(['status', 'tenant_id'])
        .execute();

      await db.schema
        .createTable('campaign_recipients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('campaign_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('country', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('next_at', 'text', (c) => c.notNull())
        .addColumn('attempts', int, (c) => c.notNull())
        .addColumn('error_code', int)
        .addColumn('sent_at', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('campaign_recipients_once', ['campaign_id', 'contact_id'])
        .execute();
      await db.schema
        .createIndex('campaign_recipients_due')
        .on('campaign_recipients')
        .columns(['campaign_id', 'status', 'next_at'])
        .execute();
      await db.schema
        .createIndex('campaign_recipients_sent')
        .on('campaign_recipients')
        .columns(['tenant_id', 'sent_at'])
        .execute();

      await db.schema
        .createTable('campaign_pacers')
        .addColumn('channel_id', 'text', (c) => c.primaryKey())
        .addColumn('next_slot_ms', int, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('campaign_alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('campaign_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('code', int)
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('campaign_alerts_tenant')
        .on('campaign_alerts')
        .columns(['tenant_id', 'created_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of [
        'campaign_alerts',
        'campaign_pacers',
        'campaign_recipients',
        'campaigns',
        'contact_countries',
        'segments',
        'campaign_templates',
      ])
        await db.schema.dropTable(t).execute();
    },
  };
}
