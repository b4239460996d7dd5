import { associatedData, seal } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { DecryptionError, NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import { conversationEntities, tenantResource } from '../access/entities.ts';
import type { AccessSession } from '../access/sessions.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Conversations } from '../conversations/conversations.service.ts';
import type { RestrictedField } from '../dlp/restricted-field.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { SendService } from '../messages/send.service.ts';
import { pendingWamidKey } from '../messages/wamid.ts';
import type { Tenant, TenantService } from '../tenants/tenants.service.ts';
import type { CollectKeys } from './collect-keys.ts';
import * as repo from './collect.repository.ts';
import { createLinkInput, noticeInput, submittedFields } from './collect.schema.ts';
import { envelopeSchema, openEnvelope } from './envelope.ts';
import { DEFAULT_NOTICE, FORM_TEMPLATES, type Language } from './forms.ts';
import { TOKEN_PATTERN, hashToken, linkToken, tokenPlaceholder } from './link-token.ts';

const GONE = 'This link has expired or was already used';

/**
 * Secure collection links: an agent sends the end-to-end notice and a one-time link through the
 * normal outbound path; the customer's browser encrypts the form to the tenant `collect` key; the
 * envelope is stored as a message whose `restricted` field only a restricted reveal opens.
 */
export function createCollectService(deps: {
  db: Db;
  conversations: Pick<Conversations, 'load'>;
  contacts: Pick<ContactService, 'openOne'>;
  messaging: Pick<SendService, 'send'>;
  tenants: Pick<TenantService, 'getById'>;
  keyring: Pick<Keyring, 'indexKey'>;
  keys: CollectKeys;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  publicUrl: string;
}) {
  const { db, clock } = deps;

  async function notices(tenantId: string): Promise<Record<Language, string>> {
    const stored = await repo.findNotice(db, tenantId);
    return stored ? (JSON.parse(stored) as Record<Language, string>) : { ...DEFAULT_NOTICE };
  }

  async function usable(token: string) {
    if (!TOKEN_PATTERN.test(token)) throw new NotFoundError(GONE);
    const link = await repo.findUsableLink(db, hashToken(token), clock.now().toISOString());
    if (!link) throw new NotFoundError(GONE);
    return link;
  }

  return {
    /** Sends the notice, then the link (Cedar `sendMessage` on the conversation); audited. */
    async createLink(session: AccessSession, tenant: Tenant, conversationId: string, input: unknown) {
      const { row, facts } = await deps.conversations.load(tenant, conversationId);
      const { resource, related } = conversationEntities(row.id, facts);
      const decision = await session.enforce(
        'sendMessage',
        resource,
        { type: 'conversation', id: conversationId, what: 'Conversation' },
        { related },
      );
      const { template, language, expiresInMinutes } = parseInput(createLinkInput, input);
      const form = FORM_TEMPLATES[template]!;
      const now = clock.now();
      const id = newId('lk');
      const expiresAt = new Date(now.getTime() + expiresInMinutes * 60_000).toISOString();
      await repo.insertLink(db, {
        id,
        tenant_id: tenant.id,
        conversation_id: conversationId,
        contact_id: row.contact_id,
        template,
        language,
        token_hash: hashToken(await linkToken(deps.keyring, tenant.id, id)),
        status: 'pending',
        created_by: session.actor.id,
        expires_at: expiresAt,
        used_at: null,
        message_id: null,
        created_at: now.toISOString(),
      });
      const notice = (await notices(tenant.id))[language].replaceAll('{purpose}', form.purpose[language]);
      // The token travels in the fragment: browsers never send it to the server, a log or a Referer.
      const url = `${deps.publicUrl.replace(/\/$/, '')}/collect/#${tokenPlaceholder(id)}`;
      // Notice and link in one message: two outbox jobs carry no order, and the notice must come first.
      const sent = await deps.messaging.send(tenant, row.contact_id, {
        type: 'text',
        text: { body: `${notice}\n\n${form.title[language]}: ${url}`, preview_url: false },
      });
      await db.transaction().execute((trx) =>
        deps.audit.append(trx, {
          tenantId: tenant.id,
          actor: session.auditActor,
          action: 'sensitive_create',
          target: { type: 'collect_link', id },
          outcome: 'success',
          policyIds: decision.policyIds,
          detail: { conversation: conversationId, template, expiresAt },
          clientIp: session.actor.ip,
          requestId: session.actor.requestId,
        }),
      );
      return {
        linkId: id,
        template,
        expiresAt,
        messageId: sent.messageId,
      };
    },

    /** What the hosted page needs: the form, and the tenant public key it encrypts to. */
    async form(token: string) {
      const link = await usable(token);
      const form = FORM_TEMPLATES[link.template]!;
      const language = link.language as Language;
      const key = await deps.keys.activePublicKey(link.tenant_id);
      return {
        linkId: link.id,
        language,
        title: form.title[language],
        purpose: form.purpose[language],
        fields: form.fields.map((f) => ({
          name: f.name,
          label: f.label[language],
          maxLength: f.maxLength,
          multiline: f.multiline ?? false,
        })),
        publicKey: key.spki.toString('base64'),
        keyVersion: key.version,
        expiresAt: link.expires_at,
      };
    },

    /** Stores the browser's envelope as a restricted message; the link is used up in the same transaction. */
    async submit(token: string, body: unknown, meta: { ip: string; requestId: string }): Promise<void> {
      const link = await usable(token);
      const envelope = parseInput(envelopeSchema, body);
      const tenant = await deps.tenants.getById(link.tenant_id);
      const { key } = await deps.contacts.openOne(tenant, link.contact_id);
      const messageId = newId('ms');
      const now = clock.now().toISOString();
      const restricted: RestrictedField = {
        v: 1,
        scheme: 'collect',
        kinds: [link.template],
        ct: Buffer.from(JSON.stringify({ linkId: link.id, envelope })).toString('base64'),
      };
      const content = {
        type: 'secure_form',
        secure_form: { template: link.template, linkId: link.id },
        restricted,
      };
      const wamidKey = await pendingWamidKey(deps.keyring, link.tenant_id, messageId);
      await db.transaction().execute(async (trx) => {
        if (!(await repo.consumeLink(trx, link.id, now, messageId))) throw new NotFoundError(GONE);
        await trx
          .insertInto('messages')
          .values({
            id: messageId,
            tenant_id: link.tenant_id,
            conversation_id: link.conversation_id,
            contact_id: link.contact_id,
            direction: 'inbound',
            type: 'secure_form',
            wamid_key: wamidKey,
            content_ct: seal(
              key,
              Buffer.from(JSON.stringify(content)),
              associatedData(link.tenant_id, 'messages', 'content', messageId),
            ),
            status: 'received',
            error_code: null,
            sent_at: now,
            created_at: now,
          })
          .execute();
        await trx
          .updateTable('conversations')
          .set((eb) => ({ unread: eb('unread', '+', 1), updated_at: now }))
          .where('id', '=', link.conversation_id)
          .execute();
        await deps.audit.append(trx, {
          tenantId: link.tenant_id,
          actor: { type: 'system', id: 'collect-form' },
          action: 'sensitive_create',
          target: { type: 'message', id: messageId },
          outcome: 'success',
          detail: { collectLink: link.id, template: link.template },
          clientIp: meta.ip,
          requestId: meta.requestId,
        });
      });
    },

    /** Opens a `collect` restricted field (called by the restricted reveal, after its decision). */
    async openSubmitted(
      tenantId: string,
      _messageId: string,
      field: RestrictedField,
    ): Promise<Record<string, string>> {
      const stored = JSON.parse(Buffer.from(field.ct, 'base64').toString('utf8')) as {
        linkId?: unknown;
        envelope?: unknown;
      };
      if (typeof stored.linkId !== 'string') throw new DecryptionError();
      const envelope = envelopeSchema.parse(stored.envelope);
      const clear = openEnvelope(await deps.keys.privateKey(tenantId, envelope.kv), stored.linkId, envelope);
      try {
        return parseInput(submittedFields, JSON.parse(clear.toString('utf8')));
      } finally {
        clear.fill(0);
      }
    },

    /** The tenant's notice texts (defaults when none were set). Admins (`manageChannels`). */
    async getNotice(session: AccessSession, tenant: Tenant) {
      await session.enforce('manageChannels', tenantResource('Workspace', tenant.id), {
        type: 'workspace',
        id: tenant.id,
        what: 'Workspace',
      });
      return { notice: await notices(tenant.id) };
    },

    async setNotice(session: AccessSession, tenant: Tenant, input: unknown) {
      const decision = await session.enforce('manageChannels', tenantResource('Workspace', tenant.id), {
        type: 'workspace',
        id: tenant.id,
        what: 'Workspace',
      });
      const { notice } = parseInput(noticeInput, input);
      const at = clock.now().toISOString();
      await db.transaction().execute(async (trx) => {
        await repo.upsertNotice(trx, tenant.id, JSON.stringify(notice), at);
        await deps.audit.append(trx, {
          tenantId: tenant.id,
          actor: session.auditActor,
          action: 'policy_change',
          target: { type: 'collect_settings', id: tenant.id },
          outcome: 'success',
          policyIds: decision.policyIds,
          clientIp: session.actor.ip,
          requestId: session.actor.requestId,
        });
      });
      return { notice };
    },
  };
}

export type CollectService = ReturnType<typeof createCollectService>;
