import type { Clock } from '../../lib/clock.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { revealReason, type AuditActor } from '../audit/audit.schema.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { maskEmail, maskName, maskPhone } from '../vault/mask.ts';
import { normalizeEmail, normalizePhone } from '../vault/normalize.ts';
import type { ContactCodec, ContactFields } from './contact-codec.ts';
import type { PreparedContact } from './contact-factory.ts';
import { parseContactInput } from './contact-input-check.ts';
import type { ContactStore, OpenedContact } from './contact-store.ts';
import * as repo from './contacts.repository.ts';
import {
  contactFields,
  lastFourQuery,
  phoneQuery,
  type ContactPatch,
  type CreateContactInput,
} from './contacts.schema.ts';

export type { OpenedContact } from './contact-store.ts';

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

/**
 * Who reveals customers and why. Every contact a reveal returns is recorded as one `sensitive_read`
 * audit entry, in the transaction of the read, with the reason encrypted under that contact's key.
 */
export interface RevealContext {
  readonly actor: AuditActor;
  readonly reason: string;
  readonly requestId?: string;
  readonly clientIp?: string;
  readonly policyIds?: readonly string[];
}

export function createContactService(deps: {
  db: Db;
  store: ContactStore;
  codec: ContactCodec;
  audit: Pick<AuditService, 'append' | 'appendMany'>;
  clock: Clock;
}) {
  const { db, store, codec } = deps;

  /** Whether a new phone is the customer's WhatsApp id, compared by keyed hash (the wa_id is not kept). */
  async function isWaIdOf(tenant: Tenant, row: repo.ContactRow, phone: string | null): Promise<boolean> {
    if (!row.wa_key || phone === null || !phone.startsWith('+')) return false;
    return (await codec.identityKey(tenant, 'wa', phone.slice(1))).equals(row.wa_key);
  }

  /** Appends one `sensitive_read` per returned contact (the keys are already in the cache). */
  async function recordReveal(
    trx: Db,
    tenant: Tenant,
    ctx: RevealContext,
    rows: repo.ContactRow[],
    shown: Contact[],
  ) {
    const ids = new Set(shown.map((c) => c.id));
    const events = [];
    for (const row of rows.filter((r) => ids.has(r.id))) {
      const key = await store.keyFor(tenant, row);
      events.push({
        tenantId: tenant.id,
        actor: ctx.actor,
        action: 'sensitive_read' as const,
        target: { type: 'contact', id: row.id },
        outcome: 'success' as const,
        reason: ctx.reason,
        subject: { contactId: row.id, key },
        policyIds: ctx.policyIds,
        clientIp: ctx.clientIp,
        requestId: ctx.requestId,
      });
    }
    await deps.audit.appendMany(trx, events);
    return shown;
  }

  /** Runs a lookup and records what it revealed, in one transaction: no reveal without its entries. */
  function reveal(
    tenant: Tenant,
    ctx: RevealContext,
    lookup: (trx: Db) => Promise<{ rows: repo.ContactRow[]; shown: Contact[] }>,
  ): Promise<Contact[]> {
    parseInput(revealReason, ctx.reason);
    return db.transaction().execute(async (trx) => {
      const { rows, shown } = await lookup(trx);
      return recordReveal(trx, tenant, ctx, rows, shown);
    });
  }
  /**
   * Stores several customers in one transaction (all or nothing). Encryption happens before the
   * transaction opens; a duplicate identity aborts the whole batch with ConflictError.
   */
  async function createMany(
    tenant: Tenant,
    inputs: CreateContactInput[],
    actor: AuditActor,
  ): Promise<Contact[]> {
    const prepared: PreparedContact[] = [];
    for (const input of inputs) prepared.push(await store.prepare(tenant, parseContactInput(input)));
    await db.transaction().execute(async (trx) => {
      await store.insert(trx, tenant, prepared);
      await deps.audit.appendMany(
        trx,
        prepared.map((p) => ({
          tenantId: tenant.id,
          actor,
          action: 'sensitive_create' as const,
          target: { type: 'contact', id: p.row.id },
          outcome: 'success' as const,
        })),
      );
    });
    return prepared.map((p) => p.contact);
  }

  return {
    /** Stores a new customer: a fresh data key, every field encrypted, identities hashed. */
    async create(tenant: Tenant, input: CreateContactInput, actor: AuditActor): Promise<Contact> {
      const [created] = await createMany(tenant, [input], actor);
      return created!;
    },

    createMany,

    /** Reveals one customer (audited). */
    async getById(tenant: Tenant, id: string, ctx: RevealContext): Promise<Contact> {
      const [contact] = await reveal(tenant, ctx, async (trx) => {
        const row = await repo.findById(trx, tenant.id, id);
        if (!row) throw new NotFoundError('Contact');
        return { rows: [row], shown: [await store.open(tenant, row)] };
      });
      return contact!;
    },

    /** Exact phone search: both phone indexes narrow to a handful of candidates, then decrypt and compare. */
    async findByPhone(tenant: Tenant, phone: string, ctx: RevealContext): Promise<Contact[]> {
      const e164 = normalizePhone(parseInput(phoneQuery, phone));
      return reveal(tenant, ctx, async (trx) => {
        const { rows, matches } = await store.findByPhone(trx, tenant, e164);
        return { rows, shown: matches };
      });
    },

    /** Contacts whose number ends in these four digits (at most 50). */
    async findByLastFour(tenant: Tenant, digits: string, ctx: RevealContext): Promise<Contact[]> {
      const value = parseInput(lastFourQuery, digits);
      const indexes = await codec.last4Lookups(tenant, value);
      return reveal(tenant, ctx, async (trx) => {
        const rows: repo.ContactRow[] = [];
        for (const index of indexes)
          rows.push(...(await repo.findByLast4Index(trx, tenant.id, index, 20_000)));
        const matches: Contact[] = [];
        for (const row of rows) {
          const key = await store.keyFor(tenant, row);
          if (codec.decryptPhone(tenant, key, row)?.endsWith(value))
            matches.push(await store.open(tenant, row, key));
          if (matches.length >= MAX_LAST4_RESULTS) break;
        }
        return { rows, shown: matches };
      });
    },

    async findByEmail(tenant: Tenant, email: string, ctx: RevealContext): Promise<Contact[]> {
      const normalized = normalizeEmail(email);
      const indexes = await codec.emailLookups(tenant, normalized);
      return reveal(tenant, ctx, async (trx) => {
        const rows: repo.ContactRow[] = [];
        for (const index of indexes) rows.push(...(await repo.findByEmailIndex(trx, tenant.id, index)));
        const contacts = await Promise.all(rows.map((row) => store.open(tenant, row)));
        return { rows, shown: contacts.filter((c) => c.email === normalized) };
      });
    },

    /** The contact known by this BSUID or wa_id, if any: a reveal, audited like the other finds. */
    async findByIdentity(
      tenant: Tenant,
      identity: { userId?: string; waId?: string },
      ctx: RevealContext,
    ): Promise<Contact | undefined> {
      const keys = {
        user: identity.userId ? await codec.identityKey(tenant, 'user', identity.userId) : undefined,
        wa: identity.waId ? await codec.identityKey(tenant, 'wa', identity.waId) : undefined,
      };
      if (!keys.user && !keys.wa) throw new ValidationError('An identity needs a userId or a waId');
      const [contact] = await reveal(tenant, ctx, async (trx) => {
        const rows = (await repo.findByIdentityKeys(trx, tenant.id, keys)).slice(0, 1);
        return { rows, shown: await Promise.all(rows.map((row) => store.open(tenant, row))) };
      });
      return contact;
    },

    /**
     * Changes some fields; each is re-encrypted under the contact's current key. Recorded as one
     * `sensitive_update` in the same transaction, naming the changed fields (never their values) in
     * a detail encrypted under the customer's key.
     */
    async update(tenant: Tenant, id: string, patch: ContactPatch, actor: AuditActor): Promise<Contact> {
      const v = parseInput(contactFields, patch);
      return db.transaction().execute(async (trx) => {
        const row = await repo.findById(trx, tenant.id, id);
        if (!row) throw new NotFoundError('Contact');
        const key = await store.keyFor(tenant, row);
        const phone = v.phone !== undefined ? normalizePhone(v.phone) : undefined;
        const columns = await codec.encrypt(tenant, id, key, {
          phone,
          profileName: v.profileName,
          email: v.email !== undefined ? normalizeEmail(v.email) : undefined,
          attributes: v.attributes,
        });
        const updated = {
          ...columns,
          ...(phone !== undefined ? { phone_is_wa_id: (await isWaIdOf(tenant, row, phone)) ? 1 : 0 } : {}),
          ...(v.tags ? { tags: JSON.stringify(v.tags) } : {}),
          updated_at: deps.clock.now().toISOString(),
        };
        await repo.updateContact(trx, tenant.id, id, updated);
        await deps.audit.append(trx, {
          tenantId: tenant.id,
          actor,
          action: 'sensitive_update',
          target: { type: 'contact', id },
          outcome: 'success',
          detail: {
            fields: Object.keys(v)
              .filter((f) => v[f as keyof typeof v] !== undefined)
              .sort(),
          },
          subject: { contactId: id, key },
        });
        return store.open(tenant, { ...row, ...updated });
      });
    },

    /**
     * For the access projection only: customers decrypted in memory with their data keys (so audit
     * entries about them can be encrypted under them). Not audited here, because `access` masks by
     * default and records every clear value it releases.
     */
    async openPage(tenant: Tenant, page: { afterId?: string; limit: number }): Promise<OpenedContact[]> {
      const rows = await repo.listPage(db, tenant.id, page.afterId, page.limit);
      return Promise.all(rows.map((row) => store.openWithKey(tenant, row)));
    },

    /** For the access projection only (see `openPage`); NotFoundError outside the tenant. */
    async openOne(tenant: Tenant, id: string): Promise<OpenedContact> {
      const row = await repo.findById(db, tenant.id, id);
      if (!row) throw new NotFoundError('Contact');
      return store.openWithKey(tenant, row);
    },

    count: (tenant: Tenant) => repo.countContacts(db, tenant.id),
  };
}

export type ContactService = ReturnType<typeof createContactService>;

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
