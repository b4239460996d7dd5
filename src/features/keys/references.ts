import { sql, type RawBuilder } from 'kysely';
import type { Db, Dialect } from '../../db/database.ts';
import { headerOf, versionHeader } from './key-jobs.repository.ts';

/** A place that holds blobs sealed under a tenant key: the AEAD header names the version. */
interface BlobRef {
  readonly name: string;
  readonly table: string;
  readonly column: string;
  readonly where?: RawBuilder<unknown>;
}

/** A place that names the version in a plain column. */
interface ColumnRef {
  readonly name: string;
  readonly table: string;
  readonly versionColumn: string;
}

const BLOBS: Record<string, BlobRef[]> = {
  data: [
    { name: 'customer_keys', table: 'contacts', column: 'key_wrapped' },
    {
      name: 'retired_customer_keys',
      table: 'contact_keys',
      column: 'wrapped',
      where: sql`status <> 'destroyed'`,
    },
  ],
  restricted: [
    { name: 'channel_secrets', table: 'channels', column: 'secrets_ct' },
    { name: 'operator_emails', table: 'operators', column: 'email_ct' },
    { name: 'operator_names', table: 'operators', column: 'name_ct' },
    { name: 'totp_seeds', table: 'auth_totp', column: 'seed_ct' },
    { name: 'outbox_payloads', table: 'outbox', column: 'payload_ct' },
    { name: 'channel_events', table: 'channel_events', column: 'payload_ct' },
    { name: 'approval_reasons', table: 'approval_requests', column: 'reason_ct' },
    { name: 'break_glass_reasons', table: 'break_glass_grants', column: 'reason_ct' },
    { name: 'audit_reasons', table: 'audit_entries', column: 'reason_ct', where: sql`subject_id is null` },
    { name: 'audit_details', table: 'audit_entries', column: 'detail_ct', where: sql`subject_id is null` },
  ],
};

const COLUMNS: Record<string, ColumnRef[]> = {
  restricted: [
    { name: 'password_peppers', table: 'auth_passwords', versionColumn: 'pepper_version' },
    { name: 'recovery_codes', table: 'auth_recovery_codes', versionColumn: 'key_version' },
  ],
  audit: [{ name: 'audit_checkpoints', table: 'audit_checkpoints', versionColumn: 'key_version' }],
};

/**
 * What still needs one version of a key, counted in SQL from AEAD headers and version columns
 * (nothing is decrypted). `tenantId` is `system` for the root key. A version with all zeros can be
 * trimmed. `index` keys are referenced by every blind index while active: they are never trimmed.
 */
export async function countReferences(
  d: { db: Db; dialect: Dialect },
  tenantId: string,
  purpose: string,
  version: number,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const header = headerOf(version);
  const count = async (query: RawBuilder<{ n: number | string }>) =>
    Number((await query.execute(d.db)).rows[0]?.n ?? 0);
  if (purpose === 'root') {
    out.tenant_keys = await count(sql`select count(*) as n from tenant_keys
      where status <> 'destroyed' and length(wrapped) > 0 and ${versionHeader(d.dialect, 'wrapped')} = ${header}`);
    return out;
  }
  for (const ref of BLOBS[purpose] ?? []) {
    out[ref.name] = await count(sql`select count(*) as n from ${sql.table(ref.table)}
      where tenant_id = ${tenantId} and ${sql.ref(ref.column)} is not null
        and ${versionHeader(d.dialect, ref.column)} = ${header} ${ref.where ? sql`and ${ref.where}` : sql``}`);
  }
  for (const ref of COLUMNS[purpose] ?? []) {
    out[ref.name] = await count(sql`select count(*) as n from ${sql.table(ref.table)}
      where tenant_id = ${tenantId} and ${sql.ref(ref.versionColumn)} = ${version}`);
  }
  if (purpose === 'index') out.blind_indexes = 1;
  return out;
}
