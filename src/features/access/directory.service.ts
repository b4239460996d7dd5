import type { Db } from '../../db/database.ts';
import type { AuditEvent, AuditService } from '../audit/audit.service.ts';
import type { ContactService, OpenedContact } from '../contacts/contacts.service.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import * as repo from './access.repository.ts';
import { pageQuery, type PageQuery } from './access.schema.ts';
import { tenantResource, type ContactFacts } from './entities.ts';
import { projectContact, type ProjectedContact, type Projection } from './projection.ts';
import type { AccessSession } from './sessions.ts';
import { parseInput } from '../../lib/validation.ts';

/** Relationship facts (assignees, canary flag) for a batch of contacts: two indexed queries. */
export async function contactFacts(
  db: Db,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, ContactFacts>> {
  const [assignments, canaries] = await Promise.all([
    repo.assignmentsFor(db, tenantId, ids),
    repo.canariesAmong(db, tenantId, ids),
  ]);
  const canary = new Set(canaries.map((c) => c.contact_id));
  const assigned = new Map<string, string[]>();
  for (const a of assignments)
    assigned.set(a.contact_id, [...(assigned.get(a.contact_id) ?? []), a.operator_id]);
  return new Map(
    ids.map((id) => [
      id,
      { tenantId, contactId: id, assignedOperators: (assigned.get(id) ?? []).sort(), canary: canary.has(id) },
    ]),
  );
}

/**
 * Contacts as staff see them: listed and read through the projection, with one `sensitive_read`
 * audit entry per contact that left with any field in clear (committed before the answer is sent).
 */
export function createDirectory(deps: {
  db: Db;
  contacts: Pick<ContactService, 'openPage' | 'openOne'>;
  audit: Pick<AuditService, 'appendMany' | 'prepare'>;
}) {
  const { db } = deps;

  async function recordClear(
    session: AccessSession,
    opened: readonly OpenedContact[],
    projections: readonly Projection[],
    facts: Map<string, ContactFacts>,
  ) {
    const events: AuditEvent[] = [];
    projections.forEach((p, i) => {
      if (p.clear.length === 0) return;
      const { contact, key } = opened[i]!;
      events.push({
        tenantId: session.actor.tenantId,
        actor: session.auditActor,
        action: 'sensitive_read',
        target: { type: 'contact', id: contact.id },
        outcome: 'success',
        subject: { contactId: contact.id, key },
        policyIds: p.policyIds,
        detail: { fields: p.clear, via: 'view', ...(facts.get(contact.id)?.canary ? { canary: true } : {}) },
        clientIp: session.actor.ip,
        requestId: session.actor.requestId,
      });
    });
    if (events.length === 0) return;
    const prepared = await Promise.all(events.map((e) => deps.audit.prepare(e)));
    await db.transaction().execute((trx) => deps.audit.appendMany(trx, prepared));
  }

  return {
    /** A page of contacts, projected; `nextCursor` is null on the last page. */
    async list(session: AccessSession, tenant: Tenant, query: PageQuery = {}) {
      const q = parseInput(pageQuery, query);
      await session.enforce('listContacts', tenantResource('Workspace', tenant.id), {
        type: 'workspace',
        id: tenant.id,
        what: 'Workspace',
      });
      const opened = await deps.contacts.openPage(tenant, { afterId: q.cursor, limit: q.limit });
      const facts = await contactFacts(
        db,
        tenant.id,
        opened.map((o) => o.contact.id),
      );
      const projections = opened.map((o) => projectContact(session, o.contact, facts.get(o.contact.id)!));
      await recordClear(session, opened, projections, facts);
      const contacts: ProjectedContact[] = projections.map((p) => p.contact);
      return { contacts, nextCursor: opened.length === q.limit ? opened.at(-1)!.contact.id : null };
    },

    /** One contact, projected; 404 outside the tenant, 403 when the record may not be seen at all. */
    async get(session: AccessSession, tenant: Tenant, id: string): Promise<ProjectedContact> {
      const opened = await deps.contacts.openOne(tenant, id);
      const facts = await contactFacts(db, tenant.id, [id]);
      await session.enforceContact('readMasked', facts.get(id)!);
      const projection = projectContact(session, opened.contact, facts.get(id)!);
      await recordClear(session, [opened], [projection], facts);
      return projection.contact;
    },
  };
}

export type Directory = ReturnType<typeof createDirectory>;
