// The bench-only baseline for the ingest suite: the same HTTP pipeline (raw body, signature over the
// exact bytes, zod parsing, group commit, contact upsert, conversation, deduplicated message insert)
// storing plaintext in plain tables, without encryption, blind indexes or keyed hashes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { sql, type Kysely } from 'kysely';
import { createDb } from '../../src/db/create-db.ts';
import { createGroupCommitter } from '../../src/db/group-commit.ts';
import { newId } from '../../src/lib/ids.ts';
import { verifyMetaSignature } from '../../src/features/whatsapp/ingest/signature.ts';
import { envelope, messagesValue } from '../../src/features/whatsapp/ingest/webhook.schema.ts';

interface PlainDb {
  p_contacts: { id: string; wa_id: string; name: string | null };
  p_conversations: { id: string; contact_id: string; last_inbound_at: string; unread: number };
  p_messages: {
    id: string;
    wamid: string;
    contact_id: string;
    conversation_id: string;
    content: string;
    sent_at: string;
  };
}

export async function startPlainIngest(appSecret: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-bench-plain-'));
  const handle = await createDb({ database: { kind: 'sqlite', file: path.join(dir, 'plain.db') } });
  const db = handle.db as unknown as Kysely<PlainDb>;
  await sql`create table p_contacts (id text primary key, wa_id text not null unique, name text)`.execute(db);
  await sql`create table p_conversations (id text primary key, contact_id text not null unique, last_inbound_at text not null, unread integer not null)`.execute(
    db,
  );
  await sql`create table p_messages (id text primary key, wamid text not null unique, contact_id text not null, conversation_id text not null, content text not null, sent_at text not null)`.execute(
    db,
  );
  const committer = createGroupCommitter(handle.db);

  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 3 * 1024 * 1024 }, (_r, body, done) =>
    done(null, body),
  );
  app.post('/webhooks/whatsapp/plain', async (request, reply) => {
    const raw = request.body as Buffer;
    const signature = request.headers['x-hub-signature-256'];
    if (!verifyMetaSignature(raw, typeof signature === 'string' ? signature : undefined, appSecret))
      return reply.status(401).send();
    const delivery = envelope.parse(JSON.parse(raw.toString('utf8')));
    await committer.submit(async (anyTrx) => {
      const trx = anyTrx as unknown as Kysely<PlainDb>;
      for (const entry of delivery.entry) {
        for (const change of entry.changes) {
          const value = messagesValue.parse(change.value);
          for (const m of value.messages ?? []) {
            const waId = m.from!;
            const name = value.contacts?.find((c) => c.wa_id === waId)?.profile?.name ?? null;
            let contact = await trx
              .selectFrom('p_contacts')
              .selectAll()
              .where('wa_id', '=', waId)
              .executeTakeFirst();
            if (!contact)
              await trx
                .insertInto('p_contacts')
                .values((contact = { id: newId('ct'), wa_id: waId, name }))
                .execute();
            else if (contact.name !== name)
              await trx.updateTable('p_contacts').set({ name }).where('id', '=', contact.id).execute();
            const at = new Date(Number(m.timestamp) * 1000).toISOString();
            let conversation = await trx
              .selectFrom('p_conversations')
              .selectAll()
              .where('contact_id', '=', contact.id)
              .executeTakeFirst();
            if (!conversation) {
              conversation = { id: newId('cv'), contact_id: contact.id, last_inbound_at: at, unread: 1 };
              await trx.insertInto('p_conversations').values(conversation).execute();
            } else {
              await trx
                .updateTable('p_conversations')
                .set({ last_inbound_at: at, unread: conversation.unread + 1 })
                .where('id', '=', conversation.id)
                .execute();
            }
            await trx
              .insertInto('p_messages')
              .values({
                id: newId('ms'),
                wamid: m.id,
                contact_id: contact.id,
                conversation_id: conversation.id,
                content: JSON.stringify(m),
                sent_at: at,
              })
              .onConflict((oc) => oc.column('wamid').doNothing())
              .execute();
          }
        }
      }
    });
    return reply.send({ received: true });
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    path: '/webhooks/whatsapp/plain',
    async close() {
      await app.close();
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
