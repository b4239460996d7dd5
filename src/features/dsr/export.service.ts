import { keyVersionOf, associatedData, open, type AeadKey } from '../../lib/crypto/aead.ts';
import type { Db } from '../../db/database.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { MediaService } from '../media/media.service.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { accessLog, campaignSends, incidentNotices } from './subject-records.ts';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Everything ChatVault holds about one customer, decrypted, as one JSON document (media inline,
 * base64): the profile, consent history with evidence, conversations, every message and file, the
 * campaign messages sent to them, breach notices, and the access log (who — by role and pseudonym —
 * read or changed what, when and why).
 * Only ever handed to `sealArchive` — the clear document never touches the disk.
 */
export function createSubjectExport(deps: {
  db: Db;
  contacts: Pick<ContactService, 'openOne'>;
  keyring: Pick<Keyring, 'contactKey'>;
  media: Pick<MediaService, 'open'>;
}) {
  const { db } = deps;

  return async function collect(tenant: Tenant, contactId: string, at: Date): Promise<Buffer> {
    const { contact, key } = await deps.contacts.openOne(tenant, contactId);
    const keyFor = async (version: number): Promise<AeadKey> =>
      version === key.id ? key : deps.keyring.contactKey(tenant.id, contactId, version);
    const consent = await db
      .selectFrom('consent_events')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('contact_id', '=', contactId)
      .orderBy('at')
      .execute();
    const conversations = await db
      .selectFrom('conversations')
      .select(['id', 'channel_id', 'last_inbound_at', 'updated_at'])
      .where('tenant_id', '=', tenant.id)
      .where('contact_id', '=', contactId)
      .execute();
    const messages = await db
      .selectFrom('messages')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('contact_id', '=', contactId)
      .orderBy('sent_at')
      .execute();
    const mediaRows = await db
      .selectFrom('media')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('contact_id', '=', contactId)
      .execute();
    const doc = {
      format: 'chatvault-subject-export-v1',
      generatedAt: at.toISOString(),
      controller: { tenant: tenant.name },
      subject: contact,
      consent: await Promise.all(
        consent.map(async (e) => ({
          purpose: e.purpose,
          event: e.event,
          source: e.source,
          at: e.at,
          evidence:
            e.evidence_ct === null
              ? null
              : (JSON.parse(
                  open(
                    await keyFor(keyVersionOf(e.evidence_ct)),
                    e.evidence_ct,
                    associatedData(tenant.id, 'consent_events', 'evidence', e.id),
                  ).toString('utf8'),
                ) as unknown),
        })),
      ),
      conversations: conversations.map((c) => ({
        id: c.id,
        lastInboundAt: c.last_inbound_at,
        updatedAt: c.updated_at,
      })),
      messages: await Promise.all(
        messages.map(async (m) => ({
          id: m.id,
          conversationId: m.conversation_id,
          direction: m.direction,
          type: m.type,
          status: m.status,
          sentAt: m.sent_at,
          content: JSON.parse(
            open(
              await keyFor(keyVersionOf(m.content_ct)),
              m.content_ct,
              associatedData(tenant.id, 'messages', 'content', m.id),
            ).toString('utf8'),
          ) as unknown,
        })),
      ),
      media: await Promise.all(
        mediaRows.map(async (row) => {
          const opened = await deps.media.open(tenant.id, row.id);
          return {
            id: row.id,
            messageId: row.message_id,
            mimeType: opened.mimeType,
            size: opened.size,
            base64: (await readAll(opened.stream)).toString('base64'),
          };
        }),
      ),
      campaignSends: await campaignSends(db, tenant.id, contactId),
      incidentNotices: await incidentNotices(db, tenant.id, contactId),
      accessLog: await accessLog(db, tenant.id, contactId, keyFor),
    };
    return Buffer.from(JSON.stringify(doc), 'utf8');
  };
}
