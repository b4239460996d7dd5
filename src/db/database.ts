import type { Kysely } from 'kysely';
import type { TenantsTable } from '../features/tenants/tenants.table.ts';
import type { TenantKeysTable, ContactKeysTable } from '../features/keys/keys.table.ts';
import type { ContactsTable } from '../features/contacts/contacts.table.ts';

/** Every table ChatVault owns; each feature declares its own table types beside its repository. */
export interface Database {
  tenants: TenantsTable;
  tenant_keys: TenantKeysTable;
  contact_keys: ContactKeysTable;
  contacts: ContactsTable;
}

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';
