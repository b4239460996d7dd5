import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Detection and incident response: the rule engine's cursor and learned state, alerts, per-tenant
 * settings, incidents with their timeline, customer notices, and the tenant freeze flags.
 */
export function detection(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('detection_cursors')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('detection_settings')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('secrets_ct', blob)
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('detection_alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text', (c) => c.notNull())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('actor_type', 'text')
        .addColumn('actor_id', 'text')
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('first_seq', 'bigint')
        .addColumn('last_seq', 'bigint')
        .addColumn('event_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('incident_id', 'text')
        .addColumn('email_status', 'text', (c) => c.notNull())
        .addColumn('webhook_status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'text')
        .execute();
      await db.schema
        .createIndex('detection_alerts_dedup')
        .unique()
        .on('detection_alerts')
        .columns(['tenant_id', 'dedup_key'])
        .execute();
      await db.schema
        .createIndex('detection_alerts_tenant')
        .on('detection_alerts')
        .columns(['tenant_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('detection_networks')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('detection_networks_pk', ['tenant_id', 'operator_id', 'network'])
        .execute();

      await db.schema
        .createTable('detection_activity')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('hour', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('detection_activity_pk', ['tenant_id', 'actor', 'hour'])
        .execute();

      await db.schema
        .createTable('incidents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('opened_by', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text')
        .addColumn('suspect_type', 'text')
        .addColumn('suspect_id', 'text')
        .addColumn('window_from', 'text')
        .addColumn('window_to', 'text')
        .addColumn('aware_at', 'text', (c) => c.notNull())
        .addColumn('review', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('closed_at', 'text')
        .execute();
      await db.schema
        .createIndex('incidents_tenant')
        .on('incidents')
        .columns(['tenant_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('incident_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('incident_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('note_ct', blob)
        .execute();
      await db.schema
        .createIndex('incident_events_incident')
        .on('incident_events')
        .columns(['incident_id', 'id'])
        .execute();

      await db.schema
        .createTable('incident_notices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('incident_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('incident_notices_once')
        .unique()
        .on('incident_notices')
        .columns(['incident_id', 'contact_id'])
        .execute();

      await db.schema
        .createTable('tenant_freezes')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('exports', 'integer', (c) => c.notNull())
        .addColumn('campaigns', 'integer', (c) => c.notNull())
        .addColumn('incident_id', 'text')
        .addColumn('changed_by', 'text', (c) => c.notNull())
        .addColumn('changed_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        'tenant_freezes',
        'incident_notices',
        'incident_events',
        'incidents',
        'detection_activity',
        'detection_networks',
        'detection_alerts',
        'detection_settings',
        'detection_cursors',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
