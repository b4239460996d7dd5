import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Live updates across processes (PostgreSQL only): a stored or re-stated message sends a NOTIFY on
 * the channel `chatvault_live_<schema>` carrying only the tenant id and conversation id (never
 * content or personal data). Every process LISTENs on its own connection and wakes its live feed.
 * PostgreSQL folds identical payloads of one transaction into one notification, so a batch of
 * messages in one conversation costs one. SQLite runs one process per database: nothing to do.
 */
export function cluster(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      await sql`create or replace function chatvault_live_notify() returns trigger language plpgsql as $$
        begin
          perform pg_notify(left('chatvault_live_' || tg_table_schema, 63), new.tenant_id || ' ' || new.conversation_id);
          return null;
        end $$`.execute(db);
      await sql`create trigger messages_live_insert after insert on messages
        for each row execute function chatvault_live_notify()`.execute(db);
      await sql`create trigger messages_live_status after update of status on messages
        for each row when (old.status is distinct from new.status) execute function chatvault_live_notify()`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      await sql`drop trigger if exists messages_live_status on messages`.execute(db);
      await sql`drop trigger if exists messages_live_insert on messages`.execute(db);
      await sql`drop function if exists chatvault_live_notify()`.execute(db);
    },
  };
}
