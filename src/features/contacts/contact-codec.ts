import { createHmac } from 'node:crypto';
import type { AeadKey } from '../../lib/crypto/aead.ts';
import { lastFourDigits } from '../../lib/crypto/blind-index.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import type { Vault } from '../vault/vault.ts';
import type { ContactsTable } from './contacts.table.ts';

/** Decrypted contact fields; only ever held in memory. */
export interface ContactFields {
  phone: string | null;
  profileName: string | null;
  email: string | null;
  attributes: Record<string, unknown>;
}

type EncryptedColumns = Pick<
  ContactsTable,
  'phone_ct' | 'phone_bidx' | 'phone_last4_bidx' | 'name_ct' | 'email_ct' | 'email_bidx' | 'attributes_ct'
>;

/**
 * Turns contact fields into the columns stored (ciphertexts and blind indexes) and back. Phone and
 * e-mail must already be normalised.
 */
export function createContactCodec(deps: { vault: Vault; keyring: Pick<Keyring, 'indexKey'> }) {
  const { vault } = deps;
  const ref = (tenant: Tenant, column: string, rowId: string) => ({
    tenantId: tenant.id,
    table: 'contacts',
    column,
    rowId,
  });

  async function phoneIndexes(tenant: Tenant, e164: string): Promise<{ full: number; last4: number }> {
    const [full, last4] = await Promise.all([
      vault.index({ ...ref(tenant, 'phone', ''), index: 'e164' }, e164, tenant.indexBits.phoneFull),
      vault.index(
        { ...ref(tenant, 'phone', ''), index: 'last4' },
        lastFourDigits(e164),
        tenant.indexBits.phoneLast4,
      ),
    ]);
    return { full, last4 };
  }

  return {
    phoneIndexes,

    async last4Index(tenant: Tenant, digits: string): Promise<number> {
      return vault.index(
        { ...ref(tenant, 'phone', ''), index: 'last4' },
        digits,
        tenant.indexBits.phoneLast4,
      );
    },

    async emailIndex(tenant: Tenant, email: string): Promise<number> {
      return vault.index({ ...ref(tenant, 'email', ''), index: 'exact' }, email, tenant.indexBits.email);
    },

    /**
     * Full-length keyed hash of an identity (BSUID or wa_id). Identities are unique per row, so a
     * full hash reveals no frequency, and it lets the database enforce uniqueness.
     */
    async identityKey(tenant: Tenant, kind: 'user' | 'wa', value: string): Promise<Buffer> {
      const key = await deps.keyring.indexKey(tenant.id, 'contacts', 'identity', kind);
      return createHmac('sha256', key).update(value, 'utf8').digest();
    },

    async encrypt(
      tenant: Tenant,
      rowId: string,
      key: AeadKey,
      f: Partial<ContactFields>,
    ): Promise<Partial<EncryptedColumns>> {
      const out: Partial<EncryptedColumns> = {};
      if (f.phone !== undefined) {
        out.phone_ct = f.phone === null ? null : vault.seal(key, ref(tenant, 'phone', rowId), f.phone);
        const idx = f.phone === null ? null : await phoneIndexes(tenant, f.phone);
        out.phone_bidx = idx?.full ?? null;
        out.phone_last4_bidx = idx?.last4 ?? null;
      }
      if (f.profileName !== undefined) {
        out.name_ct =
          f.profileName === null ? null : vault.seal(key, ref(tenant, 'name', rowId), f.profileName);
      }
      if (f.email !== undefined) {
        out.email_ct = f.email === null ? null : vault.seal(key, ref(tenant, 'email', rowId), f.email);
        out.email_bidx = f.email === null ? null : await this.emailIndex(tenant, f.email);
      }
      if (f.attributes !== undefined) {
        const empty = Object.keys(f.attributes).length === 0;
        out.attributes_ct = empty
          ? null
          : vault.seal(key, ref(tenant, 'attributes', rowId), JSON.stringify(f.attributes));
      }
      return out;
    },

    decryptName(tenant: Tenant, key: AeadKey, row: Pick<ContactsTable, 'id' | 'name_ct'>): string | null {
      return row.name_ct ? vault.openText(key, ref(tenant, 'name', row.id), row.name_ct) : null;
    },

    decryptPhone(tenant: Tenant, key: AeadKey, row: Pick<ContactsTable, 'id' | 'phone_ct'>): string | null {
      return row.phone_ct ? vault.openText(key, ref(tenant, 'phone', row.id), row.phone_ct) : null;
    },

    decrypt(tenant: Tenant, key: AeadKey, row: ContactsTable): ContactFields {
      const text = (column: string, ct: Buffer | null) =>
        ct ? vault.openText(key, ref(tenant, column, row.id), ct) : null;
      const attributes = text('attributes', row.attributes_ct);
      return {
        phone: text('phone', row.phone_ct),
        profileName: text('name', row.name_ct),
        email: text('email', row.email_ct),
        attributes: attributes ? (JSON.parse(attributes) as Record<string, unknown>) : {},
      };
    },
  };
}

export type ContactCodec = ReturnType<typeof createContactCodec>;
