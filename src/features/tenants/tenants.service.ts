import { planPhoneIndexes, totalIndexBits } from '../../lib/crypto/blind-index.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import * as repo from './tenants.repository.ts';
import { createTenantInput, type CreateTenantInput } from './tenants.schema.ts';
import type { TenantsTable } from './tenants.table.ts';

/** A tenant as the rest of the product sees it, with its blind-index sizing. */
export interface Tenant {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly expectedContacts: number;
  readonly indexBits: { readonly phoneFull: number; readonly phoneLast4: number; readonly email: number };
  readonly createdAt: string;
}

export function createTenantService(deps: {
  db: Db;
  keyring: Pick<Keyring, 'createTenantKeys'>;
  clock: Clock;
}) {
  const bySlug = new Map<string, Tenant>();
  const byId = new Map<string, Tenant>();

  return {
    /** Creates a tenant and its version-1 keys for every purpose, in one transaction. */
    async create(input: CreateTenantInput): Promise<Tenant> {
      const { slug, name, expectedContacts } = parseInput(createTenantInput, input);
      const phone = planPhoneIndexes(expectedContacts);
      const row: TenantsTable = {
        id: newId('tn'),
        slug,
        name,
        expected_contacts: expectedContacts,
        phone_full_bits: phone.fullBits,
        phone_last4_bits: phone.last4Bits,
        email_bits: totalIndexBits(expectedContacts),
        created_at: deps.clock.now().toISOString(),
      };
      await deps.db.transaction().execute(async (trx) => {
        if (await repo.findTenantBySlug(trx, slug)) throw new ConflictError(`Tenant ${slug} already exists`);
        await repo.insertTenant(trx, row);
        await deps.keyring.createTenantKeys(trx, row.id);
      });
      return toTenant(row);
    },

    /** Finds a tenant by slug; NotFoundError when there is none. Tenants are immutable here, so cached. */
    async getBySlug(slug: string): Promise<Tenant> {
      const cached = bySlug.get(slug);
      if (cached) return cached;
      const row = await repo.findTenantBySlug(deps.db, slug);
      if (!row) throw new NotFoundError('Tenant');
      const tenant = toTenant(row);
      bySlug.set(slug, tenant);
      return tenant;
    },

    /** Finds a tenant by id (cached like getBySlug: the webhook path asks on every delivery). */
    async getById(id: string): Promise<Tenant> {
      const cached = byId.get(id);
      if (cached) return cached;
      const row = await repo.findTenantById(deps.db, id);
      if (!row) throw new NotFoundError('Tenant');
      const tenant = toTenant(row);
      byId.set(id, tenant);
      return tenant;
    },

    async list(): Promise<Tenant[]> {
      return (await repo.listTenants(deps.db)).map(toTenant);
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;

function toTenant(row: TenantsTable): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    expectedContacts: row.expected_contacts,
    indexBits: { phoneFull: row.phone_full_bits, phoneLast4: row.phone_last4_bits, email: row.email_bits },
    createdAt: row.created_at,
  };
}
