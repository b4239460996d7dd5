import type { Db } from '../../db/database.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { normalizePhone } from '../vault/normalize.ts';
import type { ContactCodec } from './contact-codec.ts';
import { uniqueById, type ContactStore, type OpenedContact } from './contact-store.ts';
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
  store: Pick<ContactStore, 'openWithKey' | 'phoneCandidates'>;
  codec: ContactCodec;
}) {
  const { db, store, codec } = deps;

  async function openMatching(
    tenant: Tenant,
    rows: repo.ContactRow[],
    keep: (c: OpenedContact) => boolean,
  ): Promise<OpenedContact[]> {
    const found: OpenedContact[] = [];
    for (const row of rows) {
      if (!row.key_wrapped) continue;
      const opened = await store.openWithKey(tenant, row);
      if (keep(opened)) found.push(opened);
      if (found.length >= MAX_RESULTS) break;
    }
    return found;
  }

  return {
    async byPhone(tenant: Tenant, phone: string): Promise<OpenedContact[]> {
      const e164 = normalizePhone(parseInput(phoneQuery, phone));
      const rows = uniqueById(await store.phoneCandidates(db, tenant, e164));
      return openMatching(tenant, rows, (o) => o.contact.phone === e164);
    },

    async byLastFour(tenant: Tenant, digits: string): Promise<OpenedContact[]> {
      const value = parseInput(lastFourQuery, digits);
      const rows = uniqueById(
        (
          await Promise.all(
            (await codec.last4Lookups(tenant, value)).map((idx) =>
              repo.findByLast4Index(db, tenant.id, idx, 20_000),
            ),
          )
        ).flat(),
      );
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
