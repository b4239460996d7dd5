import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Campaign recipients by status and lease end: the sender's once-a-second sweep of run-out leases
 * (`status = 'claimed' | 'sending' and next_at < now`) read the whole table without it, on every
 * process, however few rows were in flight.
 */
export function campaignRecipientsLease(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('campaign_recipients_lease')
        .on('campaign_recipients')
        .columns(['status', 'next_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('campaign_recipients_lease').execute();
    },
  };
}
