import type { Clock } from '../../lib/clock.ts';
import type { AeadKey } from '../../lib/crypto/aead.ts';
import { ConflictError, KeyNotFoundError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import type { ContactCodec } from './contact-codec.ts';
import { createContactFactory, type PreparedContact, type ValidContactInput } from './contact-factory.ts';
import * as repo from './contacts.repository.ts';
import type { Contact } from './contacts.service.ts';

/** What opening a customer's data key needs of its row. */
type KeyedRow = Pick<repo.ContactRow, 'id' | 'key_version' | 'key_wrapped'>;

/** A stored contact opened with its data key (the key is kept for what the caller seals next). */
export interface OpenedContact {
  readonly contact: Contact;
  readonly key: AeadKey;
}

/**
 * The encrypted contact store: customers go in sealed under their own data key with blind indexes,
 * and come out decrypted, exactly as the rows say. No policy and no audit here: the contact service
 * decides who may ask and records what was revealed, inside the transaction it passes in.
 */
export function createContactStore(deps: {
  keyring: Pick<Keyring, 'newContactKey' | 'openContactKey'>;
  codec: ContactCodec;
  clock: Clock;
}) {
  const { keyring, codec } = deps;
  const prepare = createContactFactory({ keyring, codec, clock: deps.clock });

  const keyFor = (tenant: Tenant, row: KeyedRow): Promise<AeadKey> =>
    keyring.openContactKey(tenant.id, row.id, row.key_version, keyOf(row));

  async function open(tenant: Tenant, row: repo.ContactRow, openedKey?: AeadKey): Promise<Contact> {
    const key = openedKey ?? (await keyFor(tenant, row));
    return {
      id: row.id,
      tenantId: row.tenant_id,
      ...codec.decrypt(tenant, key, row),
      tags: JSON.parse(row.tags) as string[],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** Candidate rows for an exact phone lookup (see `findByPhone`); duplicates possible. */
  async function phoneCandidates(db: Db, tenant: Tenant, e164: string): Promise<repo.ContactRow[]> {
    const [wa, indexes] = await Promise.all([
      codec.identityKey(tenant, 'wa', e164.slice(1)),
      codec.phoneLookups(tenant, e164), // every index version a search must try (two while re-indexing)
    ]);
    return repo.findPhoneCandidates(db, tenant.id, wa, indexes);
  }

  return {
    /** Encrypts new customers (no database access: call it before the transaction opens). */
    prepare: (tenant: Tenant, input: ValidContactInput): Promise<PreparedContact> => prepare(tenant, input),

    /** Inserts prepared customers; an identity that already exists aborts with ConflictError. */
    async insert(trx: Db, tenant: Tenant, prepared: readonly PreparedContact[]): Promise<void> {
      for (const p of prepared) {
        const existing = await repo.findIdentityMatches(trx, tenant.id, p.identity);
        if (existing.length > 0) throw new ConflictError('A contact with this identity already exists');
        await repo.insertContact(trx, p.row);
      }
    },

    keyFor,
    open,

    async openWithKey(tenant: Tenant, row: repo.ContactRow): Promise<OpenedContact> {
      const key = await keyFor(tenant, row);
      return { contact: await open(tenant, row, key), key };
    },

    /**
     * Exact phone lookup of a normalised E.164 number, in one statement: the customer whose WhatsApp
     * id is the number (by `wa_key`), and the blind-index candidates among customers whose phone is
     * something else (a handful, false positives by design). Each candidate is opened and its phone
     * compared. `rows` are the matching rows (what the caller records as revealed).
     */
    async findByPhone(
      db: Db,
      tenant: Tenant,
      e164: string,
    ): Promise<{ rows: repo.ContactRow[]; matches: Contact[] }> {
      const candidates = uniqueById(await phoneCandidates(db, tenant, e164));
      const rows: repo.ContactRow[] = [];
      const matches: Contact[] = [];
      for (const row of candidates) {
        if (!row.key_wrapped) continue;
        const contact = await open(tenant, row);
        if (contact.phone !== e164) continue;
        rows.push(row);
        matches.push(contact);
      }
      return { rows, matches };
    },

    phoneCandidates,
  };
}

export type ContactStore = ReturnType<typeof createContactStore>;

/** The wrapped data key of a row; a shredded customer has none and can never be read again. */
export function keyOf(row: Pick<repo.ContactRow, 'key_wrapped' | 'key_version'>): Buffer {
  if (!row.key_wrapped) throw new KeyNotFoundError(row.key_version);
  return row.key_wrapped;
}

/** Rows found under several index versions, each once (first seen wins). */
export function uniqueById<T extends { id: string }>(rows: readonly T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.id) && (seen.add(r.id), true));
}
