import type { Clock } from '../../lib/clock.ts';
import type { AeadKey } from '../../lib/crypto/aead.ts';
import { ConflictError, KeyNotFoundError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { maskEmail, maskName, maskPhone } from '../vault/mask.ts';
import { normalizeEmail, normalizePhone } from '../vault/normalize.ts';
import type { ContactCodec, ContactFields } from './contact-codec.ts';
import * as repo from './contacts.repository.ts';
import type { ContactsTable } from './contacts.table.ts';
import {
  contactFields,
  createContactInput,
  lastFourQuery,
  phoneQuery,
  type ContactPatch,
  type CreateContactInput,
} from './contacts.schema.ts';

/** A customer, decrypted in memory. Never logged; shown to staff masked unless revealed. */
export interface Contact extends ContactFields {
  readonly id: string;
  readonly tenantId: string;
  readonly tags: string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What staff see by default. */
export interface MaskedContact {
  readonly id: string;
  readonly phone: string | null;
  readonly profileName: string | null;
  readonly email: string | null;
  readonly tags: string[];
}

const MAX_LAST4_RESULTS = 50;

export function createContactService(deps: {
  db: Db;
  keyring: Pick<Keyring, 'newContactKey' | 'openContactKey'>;
  codec: ContactCodec;
  clock: Clock;
}) {
  const { db, keyring, codec } = deps;

  async function toContact(tenant: Tenant, row: repo.ContactRow, openedKey?: AeadKey): Promise<Contact> {
    const key = openedKey ?? (await keyring.openContactKey(tenant.id, row.id, row.key_version, keyOf(row)));
    return {
      id: row.id,
      tenantId: row.tenant_id,
      ...codec.decrypt(tenant, key, row),
      tags: JSON.parse(row.tags) as string[],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** Blind-index candidates include false positives by design; decrypt and keep exact matches. */
  async function exactPhoneMatches(tenant: Tenant, rows: repo.ContactRow[], e164: string) {
    const matches: Contact[] = [];
    for (const row of rows) {
      const key = await keyring.openContactKey(tenant.id, row.id, row.key_version, keyOf(row));
      if (codec.decryptPhone(tenant, key, row) === e164) matches.push(await toContact(tenant, row, key));
    }
    return matches;
  }

  async function prepareContact(tenant: Tenant, input: CreateContactInput) {
    const v = parseInput(createContactInput, input);
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
    const columns = await codec.encrypt(tenant, id, key, fields);
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
      name_ct: null,
      email_ct: null,
      email_bidx: null,
      attributes_ct: null,
      ...columns,
      tags: JSON.stringify(tags),
      created_at: now,
      updated_at: now,
    };
    const contact: Contact = { id, tenantId: tenant.id, ...fields, tags, createdAt: now, updatedAt: now };
    return { row, identity, contact };
  }

  /**
   * Stores several customers in one transaction (all or nothing). Encryption happens before the
   * transaction opens; a duplicate identity aborts the whole batch with ConflictError.
   */
  async function createMany(tenant: Tenant, inputs: CreateContactInput[]): Promise<Contact[]> {
    const prepared: Awaited<ReturnType<typeof prepareContact>>[] = [];
    for (const input of inputs) prepared.push(await prepareContact(tenant, input));
    await db.transaction().execute(async (trx) => {
      for (const p of prepared) {
        const existing = await repo.findByIdentityKeys(trx, tenant.id, p.identity);
        if (existing.length > 0) throw new ConflictError('A contact with this identity already exists');
        await repo.insertContact(trx, p.row);
      }
    });
    return prepared.map((p) => p.contact);
  }

  return {
    /** Stores a new customer: a fresh data key, every field encrypted, identities hashed. */
    async create(tenant: Tenant, input: CreateContactInput): Promise<Contact> {
      const [created] = await createMany(tenant, [input]);
      return created!;
    },

    createMany,

    async getById(tenant: Tenant, id: string): Promise<Contact> {
      const row = await repo.findById(db, tenant.id, id);
      if (!row) throw new NotFoundError('Contact');
      return toContact(tenant, row);
    },

    /** Exact phone search: both phone indexes narrow to a handful of candidates, then decrypt and compare. */
    async findByPhone(tenant: Tenant, phone: string): Promise<Contact[]> {
      const e164 = normalizePhone(parseInput(phoneQuery, phone));
      const idx = await codec.phoneIndexes(tenant, e164);
      const rows = await repo.findByPhoneIndex(db, tenant.id, idx.last4, idx.full);
      return exactPhoneMatches(tenant, rows, e164);
    },

    /** Contacts whose number ends in these four digits (at most 50). */
    async findByLastFour(tenant: Tenant, digits: string): Promise<Contact[]> {
      const value = parseInput(lastFourQuery, digits);
      const rows = await repo.findByLast4Index(db, tenant.id, await codec.last4Index(tenant, value), 20_000);
      const matches: Contact[] = [];
      for (const row of rows) {
        const key = await keyring.openContactKey(tenant.id, row.id, row.key_version, keyOf(row));
        if (codec.decryptPhone(tenant, key, row)?.endsWith(value))
          matches.push(await toContact(tenant, row, key));
        if (matches.length >= MAX_LAST4_RESULTS) break;
      }
      return matches;
    },

    async findByEmail(tenant: Tenant, email: string): Promise<Contact[]> {
      const normalized = normalizeEmail(email);
      const rows = await repo.findByEmailIndex(db, tenant.id, await codec.emailIndex(tenant, normalized));
      const contacts = await Promise.all(rows.map((row) => toContact(tenant, row)));
      return contacts.filter((c) => c.email === normalized);
    },

    /** The contact known by this BSUID or wa_id, if any. */
    async findByIdentity(
      tenant: Tenant,
      identity: { userId?: string; waId?: string },
    ): Promise<Contact | undefined> {
      const keys = {
        user: identity.userId ? await codec.identityKey(tenant, 'user', identity.userId) : undefined,
        wa: identity.waId ? await codec.identityKey(tenant, 'wa', identity.waId) : undefined,
      };
      if (!keys.user && !keys.wa) throw new ValidationError('An identity needs a userId or a waId');
      const [row] = await repo.findByIdentityKeys(db, tenant.id, keys);
      return row ? toContact(tenant, row) : undefined;
    },

    /** Changes some fields; each is re-encrypted under the contact's current key. */
    async update(tenant: Tenant, id: string, patch: ContactPatch): Promise<Contact> {
      const v = parseInput(contactFields, patch);
      return db.transaction().execute(async (trx) => {
        const row = await repo.findById(trx, tenant.id, id);
        if (!row) throw new NotFoundError('Contact');
        const key = await keyring.openContactKey(tenant.id, id, row.key_version, keyOf(row));
        const columns = await codec.encrypt(tenant, id, key, {
          phone: v.phone !== undefined ? normalizePhone(v.phone) : undefined,
          profileName: v.profileName,
          email: v.email !== undefined ? normalizeEmail(v.email) : undefined,
          attributes: v.attributes,
        });
        const updated = {
          ...columns,
          ...(v.tags ? { tags: JSON.stringify(v.tags) } : {}),
          updated_at: deps.clock.now().toISOString(),
        };
        await repo.updateContact(trx, tenant.id, id, updated);
        return toContact(tenant, { ...row, ...updated });
      });
    },

    count: (tenant: Tenant) => repo.countContacts(db, tenant.id),
  };
}

export type ContactService = ReturnType<typeof createContactService>;

/** The wrapped data key of a row; a shredded customer has none and can never be read again. */
function keyOf(row: repo.ContactRow): Buffer {
  if (!row.key_wrapped) throw new KeyNotFoundError(row.key_version);
  return row.key_wrapped;
}

/** The default, masked view of a contact. */
export function maskContact(contact: Contact): MaskedContact {
  return {
    id: contact.id,
    phone: contact.phone ? maskPhone(contact.phone) : null,
    profileName: contact.profileName ? maskName(contact.profileName) : null,
    email: contact.email ? maskEmail(contact.email) : null,
    tags: contact.tags,
  };
}
