import type { AeadKey } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import type { ContactCodec } from './contact-codec.ts';
import { createContactFactory, phoneIsWaId } from './contact-factory.ts';
import * as repo from './contacts.repository.ts';
import type { ContactsTable } from './contacts.table.ts';

export interface ChannelIdentity {
  readonly userId?: string;
  readonly waId?: string;
  readonly profileName?: string;
}

/**
 * Finds or creates the customer a channel event belongs to, inside the caller's transaction, keyed on
 * `user_id ?? wa_id`. Links a newly seen identity to the contact and keeps the profile name current.
 */
export function createContactUpserter(deps: {
  keyring: Pick<Keyring, 'newContactKey' | 'openContactKey'>;
  codec: ContactCodec;
  clock: Clock;
}) {
  const { keyring, codec } = deps;
  const prepare = createContactFactory(deps);

  return async function upsert(
    trx: Db,
    tenant: Tenant,
    identity: ChannelIdentity,
  ): Promise<{ contactId: string; key: AeadKey; created: boolean }> {
    const keys = {
      user: identity.userId ? await codec.identityKey(tenant, 'user', identity.userId) : undefined,
      wa: identity.waId ? await codec.identityKey(tenant, 'wa', identity.waId) : undefined,
    };
    const find = async () => {
      const rows = await repo.findIdentityMatches(trx, tenant.id, keys);
      return rows.find((r) => keys.user && r.user_key?.equals(keys.user)) ?? rows[0];
    };
    let row = await find();
    if (!row) {
      const prepared = await prepare(tenant, {
        userId: identity.userId,
        waId: identity.waId,
        profileName: identity.profileName,
        tags: [],
        attributes: {},
      });
      if (await repo.insertContactIfNew(trx, prepared.row))
        return { contactId: prepared.row.id, key: prepared.key, created: true };
      // Another process created this customer meanwhile (two webhooks for one new number): use theirs.
      row = await find();
      if (!row) throw new Error('A concurrently created customer could not be read back');
    }
    if (!row.key_wrapped) throw new Error('This customer was erased; its key no longer exists');
    const key = await keyring.openContactKey(tenant.id, row.id, row.key_version, row.key_wrapped);
    const patch: Partial<ContactsTable> = {};
    if (keys.user && !row.user_key) patch.user_key = keys.user;
    if (keys.wa && !row.wa_key) {
      patch.wa_key = keys.wa;
      if (!row.phone_ct && identity.waId) {
        const phone = `+${identity.waId}`;
        Object.assign(patch, await codec.encrypt(tenant, row.id, key, { phone }), { phone_is_wa_id: 1 });
      } else if (row.phone_ct && identity.waId) {
        // The WhatsApp id arrives after the phone (a BSUID-first customer): can `wa_key` find it now?
        const phone = codec.decryptPhone(tenant, key, row);
        patch.phone_is_wa_id = phoneIsWaId(phone, identity.waId) ? 1 : 0;
      }
    }
    if (identity.profileName && codec.decryptName(tenant, key, row) !== identity.profileName) {
      Object.assign(patch, await codec.encrypt(tenant, row.id, key, { profileName: identity.profileName }));
    }
    if (Object.keys(patch).length > 0) {
      await repo.updateContact(trx, tenant.id, row.id, {
        ...patch,
        updated_at: deps.clock.now().toISOString(),
      });
    }
    return { contactId: row.id, key, created: false };
  };
}

export type ContactUpserter = ReturnType<typeof createContactUpserter>;
