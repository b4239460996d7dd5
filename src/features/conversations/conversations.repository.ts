import type { Db } from '../../db/database.ts';
import type { ConversationView } from './conversations.schema.ts';

/** A page of conversations, most recently active first, narrowed to a view. */
export async function listConversations(
  db: Db,
  tenantId: string,
  options: { view: ConversationView; operatorId: string; limit: number },
) {
  let q = db.selectFrom('conversations').selectAll().where('tenant_id', '=', tenantId);
  const assigned = (operatorId?: string) => {
    let sub = db
      .selectFrom('access_assignments')
      .select('contact_id')
      .where('access_assignments.tenant_id', '=', tenantId);
    if (operatorId) sub = sub.where('access_assignments.operator_id', '=', operatorId);
    return sub;
  };
  if (options.view === 'mine') q = q.where('contact_id', 'in', assigned(options.operatorId));
  if (options.view === 'unassigned') q = q.where('contact_id', 'not in', assigned());
  return q.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
}

export async function findConversation(db: Db, tenantId: string, id: string) {
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The time and type of the latest message of each conversation. */
export async function lastMessages(db: Db, tenantId: string, conversationIds: readonly string[]) {
  if (conversationIds.length === 0) return new Map<string, { at: string; direction: string }>();
  const rows = await db
    .selectFrom('messages')
    .select(['conversation_id', 'direction', (eb) => eb.fn.max('sent_at').as('at')])
    .where('tenant_id', '=', tenantId)
    .where('conversation_id', 'in', conversationIds)
    .groupBy(['conversation_id', 'direction'])
    .execute();
  const latest = new Map<string, { at: string; direction: string }>();
  for (const r of rows) {
    const seen = latest.get(r.conversation_id);
    if (!seen || seen.at < r.at) latest.set(r.conversation_id, { at: r.at, direction: r.direction });
  }
  return latest;
}

/** The newest messages of a conversation (newest first), with the media each one carries. */
export async function recentMessages(db: Db, tenantId: string, conversationId: string, limit: number) {
  return db
    .selectFrom('messages')
    .leftJoin('media', 'media.message_id', 'messages.id')
    .select([
      'messages.id',
      'messages.direction',
      'messages.type',
      'messages.content_ct',
      'messages.status',
      'messages.error_code',
      'messages.sent_at',
      'media.id as media_id',
      'media.mime_type',
      'media.size_bytes',
    ])
    .where('messages.tenant_id', '=', tenantId)
    .where('messages.conversation_id', '=', conversationId)
    .orderBy('messages.sent_at', 'desc')
    .orderBy('messages.id', 'desc')
    .limit(limit)
    .execute();
}

export async function markRead(db: Db, tenantId: string, id: string): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ unread: 0 })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

/** The latest consent event per purpose of one customer. */
export async function latestConsent(db: Db, tenantId: string, contactId: string) {
  const rows = await db
    .selectFrom('consent_events')
    .select(['purpose', 'event', 'source', 'at'])
    .where('tenant_id', '=', tenantId)
    .where('contact_id', '=', contactId)
    .orderBy('at', 'desc')
    .limit(200)
    .execute();
  const latest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!latest.has(r.purpose)) latest.set(r.purpose, r);
  return [...latest.values()];
}

export async function conversationsOfContacts(db: Db, tenantId: string, contactIds: readonly string[]) {
  if (contactIds.length === 0) return [];
  return db
    .selectFrom('conversations')
    .select(['id', 'contact_id'])
    .where('tenant_id', '=', tenantId)
    .where('contact_id', 'in', contactIds)
    .execute();
}

export async function setTags(db: Db, tenantId: string, contactId: string, tags: string, at: string) {
  const result = await db
    .updateTable('contacts')
    .set({ tags, updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
