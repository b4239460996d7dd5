import { associatedData, seal } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { NotFoundError, WindowClosedError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import * as contactsRepo from '../contacts/contacts.repository.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { outboundContent } from './outbound.schema.ts';
import { pendingWamidKey } from './wamid.ts';
import * as repo from './messages.repository.ts';
import { newOutboxRow } from '../outbox/outbox-row.ts';
import { ConsentRequiredError } from '../consent/consent-errors.ts';
import type { ConsentLedger } from '../consent/consent.service.ts';
import type { TemplateCategories } from '../consent/template-categories.ts';

/**
 * Queues an outbound message: encrypted under the customer's key, with an outbox row in the same
 * transaction. Free-form messages are refused here, not by Meta, when the service window is closed.
 */
export function createSendService(deps: {
  db: Db;
  reader: Db;
  keyring: Pick<Keyring, 'openContactKey' | 'indexKey' | 'tenantKey'>;
  clock: Clock;
  consent: Pick<ConsentLedger, 'isAllowed'>;
  categories: Pick<TemplateCategories, 'isMarketing'>;
}) {
  const { db, keyring, clock } = deps;

  return {
    async send(
      tenant: Tenant,
      contactId: string,
      input: unknown,
    ): Promise<{ messageId: string; conversationId: string }> {
      const content = parseInput(outboundContent, input);
      const contact = await contactsRepo.findById(deps.reader, tenant.id, contactId);
      if (!contact?.key_wrapped) throw new NotFoundError('Contact');
      const conversation = await db
        .selectFrom('conversations')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .where('contact_id', '=', contactId)
        .orderBy('updated_at', 'desc')
        .executeTakeFirst();
      const now = clock.now();
      const windowOpen =
        conversation?.window_expires_at !== undefined &&
        conversation.window_expires_at !== null &&
        conversation.window_expires_at > now.toISOString();
      if (content.type !== 'template' && !windowOpen) throw new WindowClosedError();
      const channelId =
        conversation?.channel_id ??
        (
          await db
            .selectFrom('channels')
            .select('id')
            .where('tenant_id', '=', tenant.id)
            .orderBy('created_at')
            .executeTakeFirst()
        )?.id;
      if (!channelId) throw new NotFoundError('Channel');
      // Marketing needs a standing opt-in, checked here and again by the send job just before Meta.
      const marketing =
        content.type === 'template' &&
        (await deps.categories.isMarketing(channelId, content.template.name, content.template.language.code));
      if (marketing && !(await deps.consent.isAllowed(tenant.id, contactId, 'marketing')))
        throw new ConsentRequiredError();
      const key = await keyring.openContactKey(
        tenant.id,
        contactId,
        contact.key_version,
        contact.key_wrapped,
      );
      const restricted = await keyring.tenantKey(tenant.id, 'restricted');
      const messageId = newId('ms');
      const at = now.toISOString();
      const wamidKey = await pendingWamidKey(keyring, tenant.id, messageId);
      const conversationId = await db.transaction().execute(async (trx) => {
        const cvId = conversation?.id ?? newId('cv');
        if (!conversation) {
          await repo.insertConversation(trx, {
            id: cvId,
            tenant_id: tenant.id,
            contact_id: contactId,
            channel_id: channelId,
            last_inbound_at: null,
            window_expires_at: null,
            unread: 0,
            updated_at: at,
          });
        }
        await trx
          .insertInto('messages')
          .values({
            id: messageId,
            tenant_id: tenant.id,
            conversation_id: cvId,
            contact_id: contactId,
            direction: 'outbound',
            type: content.type,
            wamid_key: wamidKey,
            content_ct: seal(
              key,
              Buffer.from(JSON.stringify(content)),
              associatedData(tenant.id, 'messages', 'content', messageId),
            ),
            status: 'queued',
            error_code: null,
            sent_at: at,
            created_at: at,
          })
          .execute();
        const job = {
          tenantId: tenant.id,
          kind: 'send_message',
          idempotencyKey: `send_message:${messageId}`,
          payload: { channelId, messageId, contactId, ...(marketing ? { marketing: true } : {}) },
        };
        await repo.enqueueOnce(trx, newOutboxRow(restricted, job, at));
        return cvId;
      });
      return { messageId, conversationId };
    },
  };
}

export type SendService = ReturnType<typeof createSendService>;
