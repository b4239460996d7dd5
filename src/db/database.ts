import type { Kysely } from 'kysely';
import type { TenantsTable } from '../features/tenants/tenants.table.ts';
import type { TenantKeysTable, ContactKeysTable } from '../features/keys/keys.table.ts';
import type { ContactsTable } from '../features/contacts/contacts.table.ts';
import type { OperatorsTable } from '../features/operators/operators.table.ts';
import type {
  AuditCheckpointsTable,
  AuditEntriesTable,
  AuditHeadsTable,
  AuditNodesTable,
} from '../features/audit/audit.table.ts';

/** Every table ChatVault owns; each feature declares its own table types beside its repository. */
export interface Database {
  tenants: TenantsTable;
  tenant_keys: TenantKeysTable;
  contact_keys: ContactKeysTable;
  contacts: ContactsTable;
  operators: OperatorsTable;
  audit_entries: AuditEntriesTable;
  audit_heads: AuditHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_nodes: AuditNodesTable;
}

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';
