import type { Db } from '../../db/database.ts';
import { KeyNotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { normalizePhone } from '../vault/normalize.ts';
import type { ContactCodec } from './contact-codec.ts';
import type { OpenedContact } from './contacts.service.ts';
import * as repo from './contacts.repository.ts';
import { lastFourQuery, phoneQuery, tag } from './contacts.schema.ts';

const MAX_RESULTS = 50;

/**
 * Finds customers by full phone number, by the last four digits (both through the blind indexes, then
 * decrypted and compared to drop false positives) or by tag. Like `openPage`, for the access
 * projection only: the caller masks what it shows and records what it looked at.
 */
export function createContactSearch(deps: {
  db: Db;
  keyring: Pick<Keyring, 'openContactKey'>;
  codec: ContactCodec;
}) {
  const { db, keyring, codec } = deps;

  async function open(tenant: Tenant, row: repo.ContactRow): Promise<OpenedContact> {
    if (!row.key_wrapped) throw new KeyNotFoundError(row.key_version);
    const key = await keyring.openContactKey(tenant.id, row.id, row.key_version, row.key_wrapped);
    return {
      contact: {
        id: row.id,
        tenantId: row.tenant_id,
        ...codec.decrypt(tenant, key, row),
        tags: JSON.parse(row.tags) as string[],
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      },
      key,
    };
  }

  async function openMatching(
    tenant: Tenant,
    rows: repo.ContactRow[],
    keep: (c: OpenedContact) => boolean,
  ): Promise<OpenedContact[]> {
    const found: OpenedContact[] = [];
    for (const row of rows) {
      if (!row.key_wrapped) continue;
      const opened = await open(tenant, row);
      if (keep(opened)) found.push(opened);
      if (found.length >= MAX_RESULTS) break;
    }
    return found;
  }

  return {
    async byPhone(tenant: Tenant, phone: string): Promise<OpenedContact[]> {
      const e164 = normalizePhone(parseInput(phoneQuery, phone));
      const idx = await codec.phoneIndexes(tenant, e164);
      const rows = await repo.findByPhoneIndex(db, tenant.id, idx.last4, idx.full);
      return openMatching(tenant, rows, (o) => o.contact.phone === e164);
    },

    async byLastFour(tenant: Tenant, digits: string): Promise<OpenedContact[]> {
      const value = parseInput(lastFourQuery, digits);
      const rows = await repo.findByLast4Index(db, tenant.id, await codec.last4Index(tenant, value), 20_000);
      return openMatching(tenant, rows, (o) => o.contact.phone?.endsWith(value) === true);
    },

    /** Tags are plain labels: a text match narrows, the parsed list decides. */
    async byTag(tenant: Tenant, label: string): Promise<OpenedContact[]> {
      const value = parseInput(tag, label);
      const rows = await db
        .selectFrom('contacts')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .where('tags', 'like', `%"${value}"%`)
        .orderBy('id')
        .limit(MAX_RESULTS * 4)
        .execute();
      return openMatching(tenant, rows, (o) => o.contact.tags.includes(value));
    },
  };
}

export type ContactSearch = ReturnType<typeof createContactSearch>;
