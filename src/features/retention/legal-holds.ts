import { associatedData, seal } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { NotFoundError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Keyring } from '../keys/keyring.ts';

/** Legal holds: while one exists, neither retention nor erasure touches the customer. Audited. */
export function createLegalHolds(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
}) {
  const { db } = deps;
  return {
    async place(tenantId: string, contactId: string, reason: string, actor: AuditActor): Promise<void> {
      const contact = await db
        .selectFrom('contacts')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', contactId)
        .executeTakeFirst();
      if (!contact) throw new NotFoundError('Contact');
      const key = await deps.keyring.tenantKey(tenantId, 'restricted');
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('legal_holds')
          .values({
            contact_id: contactId,
            tenant_id: tenantId,
            reason_ct: seal(
              key,
              Buffer.from(reason),
              associatedData(tenantId, 'legal_holds', 'reason', contactId),
            ),
            created_by: `${actor.type}:${actor.id}`,
            created_at: deps.clock.now().toISOString(),
          })
          .onConflict((oc) => oc.column('contact_id').doNothing())
          .execute();
        await deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'policy_change',
          target: { type: 'legal_hold', id: contactId },
          outcome: 'success',
          reason,
        });
      });
    },

    async release(tenantId: string, contactId: string, actor: AuditActor): Promise<void> {
      // Another tenant's (or no) customer answers 404 rather than auditing a release that did nothing.
      const contact = await db
        .selectFrom('contacts')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', contactId)
        .executeTakeFirst();
      if (!contact) throw new NotFoundError('Contact');
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('legal_holds')
          .where('tenant_id', '=', tenantId)
          .where('contact_id', '=', contactId)
          .execute();
        await deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'policy_change',
          target: { type: 'legal_hold', id: contactId },
          outcome: 'success',
          detail: { released: true },
        });
      });
    },
  };
}
