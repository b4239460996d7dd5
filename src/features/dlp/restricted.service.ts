import { z } from 'zod';
import { associatedData, keyVersionOf, open, type AeadKey } from '../../lib/crypto/aead.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import { conversationEntities } from '../access/entities.ts';
import type { AccessSession } from '../access/sessions.ts';
import { revealReason } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Conversations } from '../conversations/conversations.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { openDlpSpans, restrictedFieldOf, type RestrictedField } from './restricted-field.ts';

export const revealRestrictedInput = z.object({ reason: revealReason }).strict();

/** What a restricted reveal answers: the cut-out spans (dlp) or the submitted form fields (collect). */
export interface RevealedRestricted {
  readonly messageId: string;
  readonly kinds: readonly string[];
  readonly spans?: readonly { kind: string; placeholder: string; value: string }[];
  readonly fields?: Readonly<Record<string, string>>;
}

/** Opens a `collect` field (the collect feature plugs in here; the dlp feature does not know forms). */
export type CollectOpener = (
  tenantId: string,
  messageId: string,
  field: RestrictedField,
) => Promise<Record<string, string>>;

/**
 * Reveals the restricted part of one message: Cedar `revealRestricted` on the conversation (owners,
 * break-glass admins, or whom a tenant policy names; reason and fresh second factor required), the
 * reveal recorded as a `sensitive_read` with the reason (encrypted under the customer's key) before
 * anything is answered.
 */
export function createRestrictedReveal(deps: {
  db: Db;
  conversations: Pick<Conversations, 'load'>;
  keyring: Pick<Keyring, 'contactKey' | 'tenantKey'>;
  audit: Pick<AuditService, 'prepare' | 'append'>;
  openCollect?: CollectOpener;
}) {
  const { db } = deps;
  return {
    async reveal(
      session: AccessSession,
      tenant: Tenant,
      conversationId: string,
      messageId: string,
      input: unknown,
    ): Promise<RevealedRestricted> {
      const { row, facts } = await deps.conversations.load(tenant, conversationId);
      const { resource, related } = conversationEntities(row.id, facts);
      // Authorisation before validation: the reason is checked (400) once the caller may reveal at all.
      const decision = await session.enforce(
        'revealRestricted',
        resource,
        { type: 'conversation', id: conversationId, what: 'Conversation' },
        { related, hasReason: true },
      );
      const { reason } = parseInput(revealRestrictedInput, input);
      const message = await db
        .selectFrom('messages')
        .select(['id', 'content_ct'])
        .where('tenant_id', '=', tenant.id)
        .where('conversation_id', '=', conversationId)
        .where('id', '=', messageId)
        .executeTakeFirst();
      if (!message) throw new NotFoundError('Message');
      const keyFor = (version: number): Promise<AeadKey> =>
        deps.keyring.contactKey(tenant.id, row.contact_id, version);
      const key = await keyFor(keyVersionOf(message.content_ct));
      const content = JSON.parse(
        open(key, message.content_ct, associatedData(tenant.id, 'messages', 'content', message.id)).toString(
          'utf8',
        ),
      ) as Record<string, unknown>;
      const field = restrictedFieldOf(content);
      if (!field) throw new NotFoundError('Restricted field');
      let answer: RevealedRestricted;
      if (field.scheme === 'dlp') {
        const spans = await openDlpSpans(deps.keyring, tenant.id, message.id, keyFor, field);
        answer = { messageId, kinds: field.kinds, spans };
      } else {
        if (!deps.openCollect) throw new NotFoundError('Restricted field');
        answer = {
          messageId,
          kinds: field.kinds,
          fields: await deps.openCollect(tenant.id, message.id, field),
        };
      }
      const event = await deps.audit.prepare({
        tenantId: tenant.id,
        actor: session.auditActor,
        action: 'sensitive_read',
        target: { type: 'message', id: messageId },
        outcome: 'success',
        reason,
        subject: { contactId: row.contact_id, key },
        policyIds: decision.policyIds,
        detail: { via: 'restricted', scheme: field.scheme, kinds: field.kinds, conversation: conversationId },
        clientIp: session.actor.ip,
        requestId: session.actor.requestId,
      });
      await db.transaction().execute((trx) => deps.audit.append(trx, event));
      return answer;
    },
  };
}

export type RestrictedReveal = ReturnType<typeof createRestrictedReveal>;
