import type { Clock } from '../../lib/clock.ts';
import { ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import { contactFacts } from '../access/directory.service.ts';
import { conversationEntities, tenantResource, type ContactFacts } from '../access/entities.ts';
import type { AccessSession } from '../access/sessions.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import * as repo from './conversations.repository.ts';
import { listQuery, tagsInput, type ListQuery } from './conversations.schema.ts';
import { maskedIdentity, type MaskedIdentity } from './masked-contact.ts';

type ConversationRow = NonNullable<Awaited<ReturnType<typeof repo.findConversation>>>;

export interface ConversationSummary {
  readonly id: string;
  readonly contact: MaskedIdentity;
  readonly unread: number;
  readonly lastInboundAt: string | null;
  /** The customer service window closes here; free-form replies only before it. */
  readonly windowExpiresAt: string | null;
  readonly lastMessageAt: string | null;
  readonly lastDirection: string | null;
  readonly assignedOperatorIds: readonly string[];
  /** The caller may read and answer the messages (Cedar `readMessages`). */
  readonly canRead: boolean;
}

/**
 * The inbox: conversations listed and opened with customers masked, assignment facts, unread counts
 * and the service window. Reading messages lives in `conversation-messages.service.ts`.
 */
export function createConversations(deps: {
  db: Db;
  contacts: Pick<ContactService, 'openOne'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
}) {
  const { db } = deps;
  const workspace = (session: AccessSession) => tenantResource('Workspace', session.actor.tenantId);
  const mayAssign = (session: AccessSession) =>
    session.decide('manageAssignments', workspace(session)).allowed;

  async function summarise(
    session: AccessSession,
    tenant: Tenant,
    rows: ConversationRow[],
  ): Promise<ConversationSummary[]> {
    const facts = await contactFacts(
      db,
      tenant.id,
      rows.map((r) => r.contact_id),
    );
    const last = await repo.lastMessages(
      db,
      tenant.id,
      rows.map((r) => r.id),
    );
    const out: ConversationSummary[] = [];
    for (const row of rows) {
      const f = facts.get(row.contact_id)!;
      const opened = await deps.contacts.openOne(tenant, row.contact_id);
      const { resource, related } = conversationEntities(row.id, f);
      out.push({
        id: row.id,
        contact: maskedIdentity(session, opened.contact, f),
        unread: Number(row.unread),
        lastInboundAt: row.last_inbound_at,
        windowExpiresAt: row.window_expires_at,
        lastMessageAt: last.get(row.id)?.at ?? null,
        lastDirection: last.get(row.id)?.direction ?? null,
        assignedOperatorIds: f.assignedOperators,
        canRead: session.decide('readMessages', resource, { related }).allowed,
      });
    }
    return out;
  }

  /** The conversation and its customer's facts; 404 outside the tenant. */
  async function load(tenant: Tenant, id: string): Promise<{ row: ConversationRow; facts: ContactFacts }> {
    const row = await repo.findConversation(db, tenant.id, id);
    if (!row) throw new NotFoundError('Conversation');
    const facts = (await contactFacts(db, tenant.id, [row.contact_id])).get(row.contact_id)!;
    return { row, facts };
  }

  return {
    load,
    mayAssign,

    /** Masked conversations in a view; `all` needs the right to assign (admins), others see theirs. */
    async list(session: AccessSession, tenant: Tenant, query: ListQuery = {}) {
      const q = parseInput(listQuery, query);
      await session.enforce('listContacts', workspace(session), {
        type: 'workspace',
        id: tenant.id,
        what: 'Workspace',
      });
      if (q.view === 'all' && !mayAssign(session))
        throw new ForbiddenError('Only those who assign conversations see all of them');
      const rows = await repo.listConversations(db, tenant.id, {
        view: q.view,
        operatorId: session.actor.id,
        limit: q.limit,
      });
      return { conversations: await summarise(session, tenant, rows) };
    },

    /** One conversation with its masked customer, consent state and what the caller may do. */
    async get(session: AccessSession, tenant: Tenant, id: string) {
      const { row, facts } = await load(tenant, id);
      await session.enforceContact('readMasked', facts);
      const [summary] = await summarise(session, tenant, [row]);
      const { resource, related } = conversationEntities(row.id, facts);
      const consent = await repo.latestConsent(db, tenant.id, row.contact_id);
      return {
        conversation: {
          ...summary!,
          canSend: session.decide('sendMessage', resource, { related }).allowed,
          canAssign: mayAssign(session),
          canTag: session.decideContact('updateContact', facts).allowed,
          consent: consent.map((c) => ({ purpose: c.purpose, state: c.event, source: c.source, at: c.at })),
        },
      };
    },

    /** Clears the unread count once the caller has opened the messages. */
    async markRead(session: AccessSession, tenant: Tenant, id: string): Promise<void> {
      const { row, facts } = await load(tenant, id);
      const { resource, related } = conversationEntities(row.id, facts);
      await session.enforce(
        'readMessages',
        resource,
        { type: 'conversation', id, what: 'Conversation' },
        { related },
      );
      await repo.markRead(db, tenant.id, id);
    },

    /** Replaces a customer's tags (labels, never personal data); audited as an update. */
    async setTags(session: AccessSession, tenant: Tenant, contactId: string, input: unknown) {
      const facts = (await contactFacts(db, tenant.id, [contactId])).get(contactId)!;
      await deps.contacts.openOne(tenant, contactId);
      const decision = await session.enforceContact('updateContact', facts);
      const { tags } = parseInput(tagsInput, input);
      const unique = [...new Set(tags)].sort();
      const at = deps.clock.now().toISOString();
      await db.transaction().execute(async (trx) => {
        if (!(await repo.setTags(trx, tenant.id, contactId, JSON.stringify(unique), at)))
          throw new NotFoundError('Contact');
        await deps.audit.append(trx, {
          tenantId: tenant.id,
          actor: session.auditActor,
          action: 'sensitive_update',
          target: { type: 'contact', id: contactId },
          outcome: 'success',
          policyIds: decision.policyIds,
          detail: { fields: ['tags'] },
          clientIp: session.actor.ip,
          requestId: session.actor.requestId,
        });
      });
      return { tags: unique };
    },
  };
}

export type Conversations = ReturnType<typeof createConversations>;
