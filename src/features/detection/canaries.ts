import { randomInt } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import { fakeCustomers } from '../demo/fake-customers.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Access } from '../access/access.service.ts';
import type { TenantService } from '../tenants/tenants.service.ts';

export const CANARIES_PER_TENANT = 2;

/**
 * Gives every tenant its honeytoken customers: ordinary-looking contacts (a fake name, phone and
 * e-mail, encrypted like any other) flagged only in `access_canaries`, never in any API output.
 * No one has a reason to open one; any read, export or change of one is a critical alert.
 */
export function createCanaries(deps: {
  db: Db;
  tenants: Pick<TenantService, 'getById'>;
  contacts: Pick<ContactService, 'createMany'>;
  access: Pick<Access, 'markCanary'>;
}) {
  return {
    /** Creates the missing canaries of every tenant; returns the tenant ids that got new ones. */
    async ensure(): Promise<string[]> {
      const rows = await deps.db
        .selectFrom('tenants')
        .leftJoin('access_canaries', 'access_canaries.tenant_id', 'tenants.id')
        .select(['tenants.id as id', (eb) => eb.fn.count('access_canaries.contact_id').as('n')])
        .groupBy('tenants.id')
        .execute();
      const changed: string[] = [];
      for (const row of rows) {
        const missing = CANARIES_PER_TENANT - Number(row.n);
        if (missing <= 0) continue;
        const tenant = await deps.tenants.getById(row.id);
        const people = fakeCustomers(missing, randomInt(1, 2 ** 31)).map((p) => ({
          waId: p.waId,
          phone: p.phone,
          profileName: p.profileName,
          email: p.email,
        }));
        const created = await deps.contacts.createMany(tenant, people, { type: 'system', id: 'detection' });
        for (const c of created) await deps.access.markCanary(tenant.id, c.id);
        changed.push(tenant.id);
      }
      return changed;
    },
  };
}
