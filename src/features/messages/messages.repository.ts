import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type {
  ChannelEventsTable,
  ConsentEventsTable,
  ConversationsTable,
  MessageStatusesTable,
  MessagesTable,
  OutboxTable,
} from './messages.table.ts';

/** Inserts a message unless one with the same wamid exists; returns false for a duplicate. */
export async function insertMessageOnce(db: Db, row: MessagesTable): Promise<boolean> {
  const inserted = await db
    .insertInto('messages')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'wamid_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Records an inbound message on the customer's conversation in one statement: created if new, else
 * its last-inbound time and service window move forward (never back) and its unread count grows.
 */
export async function touchConversationOnInbound(db: Db, row: ConversationsTable): Promise<string> {
  const later = sql<boolean>`conversations.last_inbound_at is null or conversations.last_inbound_at < excluded.last_inbound_at`;
  const result = await db
    .insertInto('conversations')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'channel_id', 'contact_id']).doUpdateSet({
        last_inbound_at: sql`case when ${later} then excluded.last_inbound_at else conversations.last_inbound_at end`,
        window_expires_at: sql`case when ${later} then excluded.window_expires_at else conversations.window_expires_at end`,
        unread: sql`conversations.unread + 1`,
        updated_at: sql`excluded.updated_at`,
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return result.id;
}

export async function insertConversation(db: Db, row: ConversationsTable): Promise<void> {
  await db.insertInto('conversations').values(row).execute();
}

/** Records a status once (Meta repeats deliveries); returns false when it was already known. */
export async function insertStatusOnce(db: Db, row: MessageStatusesTable): Promise<boolean> {
  const inserted = await db
    .insertInto('message_statuses')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'wamid_key', 'status']).doNothing())
    .returning('status')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function setMessageStatus(
  db: Db,
  tenantId: string,
  wamidKey: Buffer,
  from: string[],
  to: string,
) {
  await db
    .updateTable('messages')
    .set({ status: to })
    .where('tenant_id', '=', tenantId)
    .where('wamid_key', '=', wamidKey)
    .where('status', 'in', from)
    .execute();
}

export async function insertConsentEvent(db: Db, row: ConsentEventsTable): Promise<void> {
  await db.insertInto('consent_events').values(row).execute();
}

export async function insertChannelEvent(db: Db, row: ChannelEventsTable): Promise<void> {
  await db.insertInto('channel_events').values(row).execute();
}

/** Queues a side effect once per idempotency key. */
export async function enqueueOnce(db: Db, row: OutboxTable): Promise<void> {
  await db
    .insertInto('outbox')
    .values(row)
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
}

export async function countMessages(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listConversationMessages(
  db: Db,
  tenantId: string,
  conversationId: string,
  limit: number,
) {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('conversation_id', '=', conversationId)
    .orderBy('sent_at', 'desc')
    .limit(limit)
    .execute();
}
