import type { Db } from '../../db/database.ts';
import { parseInput } from '../../lib/validation.ts';
import { contactFacts } from '../access/directory.service.ts';
import { tenantResource } from '../access/entities.ts';
import type { AccessSession } from '../access/sessions.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ContactSearch } from '../contacts/contact-search.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import * as repo from './conversations.repository.ts';
import { searchInput } from './conversations.schema.ts';
import { maskedIdentity, type MaskedIdentity } from './masked-contact.ts';

export interface SearchHit {
  readonly contact: MaskedIdentity;
  readonly conversationIds: readonly string[];
}

/**
 * Staff search: by full phone number or its last four digits (blind indexes) or by tag. Answers are
 * masked; every customer found is recorded as a `sensitive_read` (finding someone by number tells
 * that they are a customer).
 */
export function createInboxSearch(deps: {
  db: Db;
  search: ContactSearch;
  audit: Pick<AuditService, 'appendMany' | 'prepare'>;
}) {
  const { db } = deps;
  return {
    async search(session: AccessSession, tenant: Tenant, input: unknown): Promise<{ results: SearchHit[] }> {
      const decision = await session.enforce('listContacts', tenantResource('Workspace', tenant.id), {
        type: 'workspace',
        id: tenant.id,
        what: 'Workspace',
      });
      const q = parseInput(searchInput, input);
      const by = 'phone' in q ? 'phone' : 'last4' in q ? 'last4' : 'tag';
      const found =
        'phone' in q
          ? await deps.search.byPhone(tenant, q.phone)
          : 'last4' in q
            ? await deps.search.byLastFour(tenant, q.last4)
            : await deps.search.byTag(tenant, q.tag);
      const ids = found.map((o) => o.contact.id);
      const facts = await contactFacts(db, tenant.id, ids);
      const conversations = await repo.conversationsOfContacts(db, tenant.id, ids);
      if (found.length > 0) {
        const events = await Promise.all(
          found.map((o) =>
            deps.audit.prepare({
              tenantId: tenant.id,
              actor: session.auditActor,
              action: 'sensitive_read',
              target: { type: 'contact', id: o.contact.id },
              outcome: 'success',
              subject: { contactId: o.contact.id, key: o.key },
              policyIds: decision.policyIds,
              detail: { via: 'search', by },
              clientIp: session.actor.ip,
              requestId: session.actor.requestId,
            }),
          ),
        );
        await db.transaction().execute((trx) => deps.audit.appendMany(trx, events));
      }
      return {
        results: found.map((o) => ({
          contact: maskedIdentity(session, o.contact, facts.get(o.contact.id)!),
          conversationIds: conversations.filter((c) => c.contact_id === o.contact.id).map((c) => c.id),
        })),
      };
    },
  };
}

export type InboxSearch = ReturnType<typeof createInboxSearch>;
