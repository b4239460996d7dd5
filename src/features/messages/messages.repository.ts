import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type {
  ChannelEventsTable,
  ConsentEventsTable,
  ConversationsTable,
  MessageStatusesTable,
  MessagesTable,
  OutboxTable,
} from './messages.table.ts';

// The two statements every inbound message runs are compiled once (see prepared.ts).
const insertMessageIfNew = prepared((db, m: MessagesTable) =>
  db
    .insertInto('messages')
    .values({
      id: m.id,
      tenant_id: m.tenant_id,
      conversation_id: m.conversation_id,
      contact_id: m.contact_id,
      direction: m.direction,
      type: m.type,
      wamid_key: m.wamid_key,
      content_ct: m.content_ct,
      status: m.status,
      error_code: m.error_code,
      sent_at: m.sent_at,
      created_at: m.created_at,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'wamid_key']).doNothing())
    .returning('id'),
);

const later = sql<boolean>`conversations.last_inbound_at is null or conversations.last_inbound_at < excluded.last_inbound_at`;
const upsertConversationOnInbound = prepared((db, c: ConversationsTable) =>
  db
    .insertInto('conversations')
    .values({
      id: c.id,
      tenant_id: c.tenant_id,
      contact_id: c.contact_id,
      channel_id: c.channel_id,
      last_inbound_at: c.last_inbound_at,
      window_expires_at: c.window_expires_at,
      unread: c.unread,
      updated_at: c.updated_at,
    })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'channel_id', 'contact_id']).doUpdateSet({
        last_inbound_at: sql`case when ${later} then excluded.last_inbound_at else conversations.last_inbound_at end`,
        window_expires_at: sql`case when ${later} then excluded.window_expires_at else conversations.window_expires_at end`,
        unread: sql`conversations.unread + 1`,
        updated_at: sql`excluded.updated_at`,
      }),
    )
    .returning('id'),
);

/**
 * Takes back the unread count `touchConversationOnInbound` added for a message that turned out to be a
 * redelivery (same transaction, so the +1 and the −1 commit together or not at all).
 */
export async function undoInboundUnread(db: Db, conversationId: string): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ unread: sql`conversations.unread - 1` })
    .where('id', '=', conversationId)
    .where('unread', '>', 0)
    .execute();
}

/** Inserts a message unless one with the same wamid exists; returns false for a duplicate. */
export async function insertMessageOnce(db: Db, row: MessagesTable): Promise<boolean> {
  const { rows } = await insertMessageIfNew(db, row);
  return rows.length > 0;
}

/**
 * Records an inbound message on the customer's conversation in one statement: created if new, else
 * its last-inbound time and service window move forward (never back) and its unread count grows.
 */
export async function touchConversationOnInbound(db: Db, row: ConversationsTable): Promise<string> {
  const { rows } = await upsertConversationOnInbound(db, row);
  const id = rows[0]?.id;
  if (id === undefined) throw new Error('The conversation upsert returned no row');
  return id;
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
