import { associatedData, keyVersionOf, open, type AeadKey } from '../../lib/crypto/aead.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import { conversationEntities } from '../access/entities.ts';
import type { AccessSession } from '../access/sessions.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { SendService } from '../messages/send.service.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import * as repo from './conversations.repository.ts';
import { messagesQuery } from './conversations.schema.ts';
import type { Conversations } from './conversations.service.ts';
import { toMessageView, type MessageView } from './message-view.ts';
import type { DlpSettings } from '../dlp/dlp-settings.ts';
import { guardOutbound, maskOutbound, withoutOverride } from '../dlp/outbound-guard.ts';
import { approvedTemplates, type TemplateSummary } from './templates.ts';

/**
 * Reading and answering one conversation: Cedar `readMessages` / `sendMessage` on the conversation,
 * every read recorded as a `sensitive_read` of it (encrypted under the customer's key), bodies
 * decrypted only for the answer.
 */
export function createConversationMessages(deps: {
  db: Db;
  conversations: Pick<Conversations, 'load'>;
  contacts: Pick<ContactService, 'openOne'>;
  keyring: Pick<Keyring, 'contactKey'>;
  audit: Pick<AuditService, 'append' | 'prepare'>;
  messaging: Pick<SendService, 'send'>;
  channels: Pick<ChannelService, 'getForTenant'>;
  graph: Pick<GraphClient, 'listTemplates'>;
  /** The tenant's DLP settings (which kinds, block/mask/warn); the default without it. */
  dlp?: Pick<DlpSettings, 'policy'>;
}) {
  const { db } = deps;

  async function authorize(
    session: AccessSession,
    tenant: Tenant,
    id: string,
    action: 'readMessages' | 'sendMessage',
  ) {
    const { row, facts } = await deps.conversations.load(tenant, id);
    const { resource, related } = conversationEntities(row.id, facts);
    const decision = await session.enforce(
      action,
      resource,
      { type: 'conversation', id, what: 'Conversation' },
      { related },
    );
    return { row, decision };
  }

  return {
    /** The newest messages, oldest first; the read is audited before anything is answered. */
    async list(
      session: AccessSession,
      tenant: Tenant,
      id: string,
      query: unknown,
    ): Promise<{ messages: MessageView[] }> {
      const { limit } = parseInput(messagesQuery, query);
      const { row, decision } = await authorize(session, tenant, id, 'readMessages');
      const opened = await deps.contacts.openOne(tenant, row.contact_id);
      const rows = await repo.recentMessages(db, tenant.id, id, limit);
      const keys = new Map<number, AeadKey>([[opened.key.id, opened.key]]);
      const messages: MessageView[] = [];
      for (const m of rows.reverse()) {
        const version = keyVersionOf(m.content_ct);
        let key = keys.get(version);
        if (!key) {
          key = await deps.keyring.contactKey(tenant.id, row.contact_id, version);
          keys.set(version, key);
        }
        const ad = associatedData(tenant.id, 'messages', 'content', m.id);
        const content = JSON.parse(open(key, m.content_ct, ad).toString('utf8')) as Record<string, unknown>;
        messages.push(toMessageView(m, content));
      }
      const event = await deps.audit.prepare({
        tenantId: tenant.id,
        actor: session.auditActor,
        action: 'sensitive_read',
        target: { type: 'conversation', id },
        outcome: 'success',
        subject: { contactId: row.contact_id, key: opened.key },
        policyIds: decision.policyIds,
        detail: { via: 'conversation', messages: messages.length },
        clientIp: session.actor.ip,
        requestId: session.actor.requestId,
      });
      await db.transaction().execute((trx) => deps.audit.append(trx, event));
      return { messages };
    },

    /** Queues a reply (free text inside the service window, a template outside it); audited. */
    async send(session: AccessSession, tenant: Tenant, id: string, input: unknown) {
      const { row, decision } = await authorize(session, tenant, id, 'sendMessage');
      // Cards, IDs, IBANs… in a reply are refused (422) unless overridden with a reason, or masked or
      // sent with a warning, as the tenant's DLP settings say (dlp/).
      const policy = deps.dlp ? await deps.dlp.policy(tenant.id) : undefined;
      const dlp = guardOutbound(input, policy);
      const content = withoutOverride(input);
      const sent = await deps.messaging.send(
        tenant,
        row.contact_id,
        dlp?.action === 'mask' && policy ? maskOutbound(content, policy.kinds) : content,
      );
      await db.transaction().execute((trx) =>
        deps.audit.append(trx, {
          tenantId: tenant.id,
          actor: session.auditActor,
          action: 'sensitive_create',
          target: { type: 'message', id: sent.messageId },
          outcome: 'success',
          policyIds: decision.policyIds,
          detail: {
            conversation: sent.conversationId,
            ...(dlp?.action === 'override' ? { dlpOverride: dlp.kinds } : {}),
            ...(dlp?.action === 'mask' ? { dlpMasked: dlp.kinds } : {}),
            ...(dlp?.action === 'warn' ? { dlpWarned: dlp.kinds } : {}),
          },
          ...(dlp?.action === 'override' ? { reason: dlp.reason } : {}),
          clientIp: session.actor.ip,
          requestId: session.actor.requestId,
        }),
      );
      return dlp?.action === 'mask' || dlp?.action === 'warn'
        ? { ...sent, dlp: { action: dlp.action, kinds: dlp.kinds } }
        : sent;
    },

    /** The business number's approved templates, for replies outside the service window. */
    async templates(
      session: AccessSession,
      tenant: Tenant,
      id: string,
    ): Promise<{ templates: TemplateSummary[] }> {
      const { row } = await authorize(session, tenant, id, 'sendMessage');
      const channel = await deps.channels.getForTenant(tenant.id, row.channel_id);
      return { templates: approvedTemplates(await deps.graph.listTemplates(channel)) };
    },
  };
}

export type ConversationMessages = ReturnType<typeof createConversationMessages>;
