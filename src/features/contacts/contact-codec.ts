import { createHmac } from 'node:crypto';
import type { AeadKey } from '../../lib/crypto/aead.ts';
import { lastFourDigits } from '../../lib/crypto/blind-index.ts';
import { countryOfPhone } from '../../lib/phone-country.ts';
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
  | 'phone_ct'
  | 'phone_bidx'
  | 'phone_last4_bidx'
  | 'country'
  | 'name_ct'
  | 'email_ct'
  | 'email_bidx'
  | 'attributes_ct'
>;

/**
 * Turns contact fields into the columns stored (ciphertexts, blind indexes, and the country derived
 * from a phone) and back. Phone and e-mail must already be normalised.
 */
export function createContactCodec(deps: {
  vault: Vault;
  keyring: Pick<Keyring, 'indexKey' | 'indexVersions'>;
}) {
  const { vault } = deps;
  const ref = (tenant: Tenant, column: string, rowId: string) => ({
    tenantId: tenant.id,
    table: 'contacts',
    column,
    rowId,
  });
  const activeVersion = async (tenant: Tenant) => (await deps.keyring.indexVersions(tenant.id)).active;

  /** Both phone indexes under `index` key `version` (the active one when omitted). */
  async function phoneIndexes(
    tenant: Tenant,
    e164: string,
    version?: number,
  ): Promise<{ full: number; last4: number }> {
    const v = version ?? (await activeVersion(tenant));
    const [full, last4] = await Promise.all([
      vault.index({ ...ref(tenant, 'phone', ''), index: 'e164' }, e164, tenant.indexBits.phoneFull, v),
      vault.index(
        { ...ref(tenant, 'phone', ''), index: 'last4' },
        lastFourDigits(e164),
        tenant.indexBits.phoneLast4,
        v,
      ),
    ]);
    return { full, last4 };
  }

  async function emailIndex(tenant: Tenant, email: string, version?: number): Promise<number> {
    const v = version ?? (await activeVersion(tenant));
    return vault.index({ ...ref(tenant, 'email', ''), index: 'exact' }, email, tenant.indexBits.email, v);
  }

  async function last4Index(tenant: Tenant, digits: string, version?: number): Promise<number> {
    const v = version ?? (await activeVersion(tenant));
    return vault.index(
      { ...ref(tenant, 'phone', ''), index: 'last4' },
      digits,
      tenant.indexBits.phoneLast4,
      v,
    );
  }

  /** The same index under every version a search must try (more than one while a re-index job runs). */
  async function forLookup<T>(tenant: Tenant, one: (version: number) => Promise<T>): Promise<T[]> {
    const { lookup } = await deps.keyring.indexVersions(tenant.id);
    return Promise.all(lookup.map(one));
  }

  return {
    phoneIndexes,
    last4Index,
    emailIndex,
    /** The `index` version new rows are written under (read before `encrypt`, stored in `index_version`). */
    activeIndexVersion: activeVersion,
    phoneLookups: (tenant: Tenant, e164: string) => forLookup(tenant, (v) => phoneIndexes(tenant, e164, v)),
    last4Lookups: (tenant: Tenant, digits: string) => forLookup(tenant, (v) => last4Index(tenant, digits, v)),
    emailLookups: (tenant: Tenant, email: string) => forLookup(tenant, (v) => emailIndex(tenant, email, v)),

    /**
     * Full-length keyed hash of an identity (BSUID or wa_id). Identities are unique per row, so a
     * full hash reveals no frequency, and it lets the database enforce uniqueness.
     */
    async identityKey(tenant: Tenant, kind: 'user' | 'wa', value: string): Promise<Buffer> {
      const key = await deps.keyring.indexKey(tenant.id, 'contacts', 'identity', kind);
      return createHmac('sha256', key).update(value, 'utf8').digest();
    },

    /** Seals the given fields; blind indexes under `indexVersion` (the active one when omitted). */
    async encrypt(
      tenant: Tenant,
      rowId: string,
      key: AeadKey,
      f: Partial<ContactFields>,
      indexVersion?: number,
    ): Promise<Partial<EncryptedColumns>> {
      const out: Partial<EncryptedColumns> = {};
      const v = f.phone || f.email ? (indexVersion ?? (await activeVersion(tenant))) : undefined;
      if (f.phone !== undefined) {
        out.phone_ct = f.phone === null ? null : vault.seal(key, ref(tenant, 'phone', rowId), f.phone);
        const idx = f.phone === null ? null : await phoneIndexes(tenant, f.phone, v);
        out.phone_bidx = idx?.full ?? null;
        out.phone_last4_bidx = idx?.last4 ?? null;
        // Derived from the plaintext in hand, so segments never open a phone (not identifying).
        out.country = f.phone === null ? 'ZZ' : countryOfPhone(f.phone);
      }
      if (f.profileName !== undefined) {
        out.name_ct =
          f.profileName === null ? null : vault.seal(key, ref(tenant, 'name', rowId), f.profileName);
      }
      if (f.email !== undefined) {
        out.email_ct = f.email === null ? null : vault.seal(key, ref(tenant, 'email', rowId), f.email);
        out.email_bidx = f.email === null ? null : await emailIndex(tenant, f.email, v);
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
