import type { Db } from '../../db/database.ts';

/** Messages stored after `afterId` (ids are time-ordered, so this is a primary-key range scan). */
export async function messagesSince(db: Db, afterId: string) {
  return db
    .selectFrom('messages')
    .select(['id', 'tenant_id', 'conversation_id'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(5000)
    .execute();
}

/** The newest messages of one conversation with their status: a change means "show it again". */
export async function conversationSignature(db: Db, tenantId: string, conversationId: string) {
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('conversation_id', '=', conversationId)
    .orderBy('sent_at', 'desc')
    .limit(50)
    .execute();
  return rows.map((r) => `${r.id}:${r.status}`).join(',');
}

export async function conversationContacts(db: Db, tenantId: string, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('conversations')
    .select(['id', 'contact_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
}
