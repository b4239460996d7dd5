import type { Clock } from '../../lib/clock.ts';
import type { AeadKey } from '../../lib/crypto/aead.ts';
import { newId } from '../../lib/ids.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { normalizeEmail, normalizePhone } from '../vault/normalize.ts';
import type { ContactCodec, ContactFields } from './contact-codec.ts';
import type { createContactInput } from './contacts.schema.ts';
import type { Contact } from './contacts.service.ts';
import type { ContactsTable } from './contacts.table.ts';
import type { z } from 'zod';

export type ValidContactInput = z.output<typeof createContactInput>;

/** A new contact, encrypted and ready to insert: the row, its identity hashes and the clear view. */
export interface PreparedContact {
  readonly row: ContactsTable;
  readonly identity: { user?: Buffer; wa?: Buffer };
  readonly contact: Contact;
  /** The new customer's data key, for encrypting what arrives with it (e.g. its first message). */
  readonly key: AeadKey;
}

/**
 * Builds new contacts: a fresh data key, every field encrypted under it, identities hashed. No
 * database access, so it can run before a transaction opens (or inside one, during ingest).
 */
export function createContactFactory(deps: {
  keyring: Pick<Keyring, 'newContactKey'>;
  codec: ContactCodec;
  clock: Clock;
}) {
  const { keyring, codec } = deps;
  return async function prepareContact(tenant: Tenant, v: ValidContactInput): Promise<PreparedContact> {
    const id = newId('ct');
    const phoneSource = v.phone ?? v.waId;
    const fields: ContactFields = {
      phone: phoneSource !== undefined ? normalizePhone(phoneSource) : null,
      profileName: v.profileName ?? null,
      email: v.email !== undefined ? normalizeEmail(v.email) : null,
      attributes: v.attributes ?? {},
    };
    const { key, wrapped } = await keyring.newContactKey(tenant.id, id);
    const identity = {
      user: v.userId !== undefined ? await codec.identityKey(tenant, 'user', v.userId) : undefined,
      wa: v.waId !== undefined ? await codec.identityKey(tenant, 'wa', v.waId) : undefined,
    };
    // Read before the indexes are computed: a rotation in between leaves the row for the re-index job.
    const indexVersion = await codec.activeIndexVersion(tenant);
    const columns = await codec.encrypt(tenant, id, key, fields, indexVersion);
    const now = deps.clock.now().toISOString();
    const tags = v.tags ?? [];
    const row: ContactsTable = {
      id,
      tenant_id: tenant.id,
      user_key: identity.user ?? null,
      wa_key: identity.wa ?? null,
      key_version: key.id,
      key_wrapped: wrapped,
      phone_ct: null,
      phone_bidx: null,
      phone_last4_bidx: null,
      phone_is_wa_id: phoneIsWaId(fields.phone, v.waId) ? 1 : 0,
      name_ct: null,
      email_ct: null,
      email_bidx: null,
      index_version: indexVersion,
      attributes_ct: null,
      ...columns,
      tags: JSON.stringify(tags),
      created_at: now,
      updated_at: now,
    };
    const contact: Contact = { id, tenantId: tenant.id, ...fields, tags, createdAt: now, updatedAt: now };
    return { row, identity, contact, key };
  };
}

/** True when a customer with this WhatsApp id is found by its `wa_key` alone (see `findByPhone`). */
export function phoneIsWaId(phone: string | null, waId: string | undefined): boolean {
  return phone !== null && waId !== undefined && phone === `+${waId}`;
}
