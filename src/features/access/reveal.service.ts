import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import * as repo from './access.repository.ts';
import { revealInput, type ContactField, type RevealInput } from './access.schema.ts';
import { contactFacts } from './directory.service.ts';
import type { AccessSession } from './sessions.ts';

/** How long a client should keep a revealed value on screen. */
export const REVEAL_VISIBLE_SECONDS = 60;
const HOUR_MS = 3_600_000;

export interface Revealed {
  readonly contactId: string;
  readonly field: ContactField;
  readonly value: unknown;
  readonly visibleForSeconds: number;
  /** This operator's reveals in the last hour, this one included (detection watches the rate). */
  readonly revealsLastHour: number;
  readonly policyIds: readonly string[];
}

/**
 * Reveal: one field of one customer, in clear, for a stated reason. Allowed by policy only (assigned
 * agent, or admin/owner under an active break-glass grant), with a fresh second factor and current
 * training; recorded as `sensitive_read` with the deciding policy ids and the reason encrypted under
 * the customer's key, in the same transaction as the reveal counter.
 */
export function createReveals(deps: {
  db: Db;
  contacts: Pick<ContactService, 'openOne'>;
  audit: Pick<AuditService, 'prepare' | 'append'>;
  clock: Clock;
}) {
  const { db } = deps;

  async function revealsInLastHour(tenantId: string, operatorId: string): Promise<number> {
    const since = new Date(deps.clock.now().getTime() - HOUR_MS).toISOString();
    return repo.countReveals(db, tenantId, operatorId, since);
  }

  return {
    revealsInLastHour,

    async reveal(
      session: AccessSession,
      tenant: Tenant,
      contactId: string,
      input: RevealInput,
    ): Promise<Revealed> {
      const opened = await deps.contacts.openOne(tenant, contactId);
      const facts = (await contactFacts(db, tenant.id, [contactId])).get(contactId)!;
      // Authorisation before validation: decided about the field as asked (policies may name it);
      // the field and the reason are then validated, and a valid field is the one decided about.
      const asked = (input ?? {}) as { field?: unknown };
      const decision = await session.enforceContact('revealField', facts, {
        field: typeof asked.field === 'string' ? asked.field.slice(0, 64) : '',
        hasReason: true,
      });
      const v = parseInput(revealInput, input);
      const actor = session.actor;
      const at = deps.clock.now().toISOString();
      const event = await deps.audit.prepare({
        tenantId: tenant.id,
        actor: session.auditActor,
        action: 'sensitive_read',
        target: { type: 'contact', id: contactId },
        outcome: 'success',
        reason: v.reason,
        subject: { contactId, key: opened.key },
        policyIds: decision.policyIds,
        detail: {
          fields: [v.field],
          via: 'reveal',
          ...(decision.policyIds.includes('admin-break-glass-active') ? { breakGlass: true } : {}),
          ...(facts.canary ? { canary: true } : {}),
        },
        clientIp: actor.ip,
        requestId: actor.requestId,
      });
      await db.transaction().execute(async (trx) => {
        await repo.insertReveal(trx, {
          id: newId('rv'),
          tenant_id: tenant.id,
          operator_id: actor.id,
          contact_id: contactId,
          field: v.field,
          at,
        });
        await deps.audit.append(trx, event);
      });
      return {
        contactId,
        field: v.field,
        value: opened.contact[v.field],
        visibleForSeconds: REVEAL_VISIBLE_SECONDS,
        revealsLastHour: await revealsInLastHour(tenant.id, actor.id),
        policyIds: decision.policyIds,
      };
    },
  };
}
