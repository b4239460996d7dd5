import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * The shared campaign pacer keeps its next slot in microseconds: a slot interval such as 12.5 ms (80/s)
 * booked one slot at a time was rounded up to whole milliseconds at every claim, and the campaign ran
 * 4 % slow. The table holds only pacing positions; a reset pacer starts from now, so it is recreated.
 */
export function campaignPacerUs(dialect: Dialect): Migration {
  const int = dialect === 'postgres' ? 'bigint' : 'integer';
  const recreate = async (db: Kysely<unknown>, column: string) => {
    await db.schema.dropTable('campaign_pacers').execute();
    await db.schema
      .createTable('campaign_pacers')
      .addColumn('channel_id', 'text', (c) => c.primaryKey())
      .addColumn(column, int, (c) => c.notNull())
      .execute();
  };
  return {
    up: (db: Kysely<unknown>) => recreate(db, 'next_slot_us'),
    down: (db: Kysely<unknown>) => recreate(db, 'next_slot_ms'),
  };
}
