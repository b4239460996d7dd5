import { associatedData, keyVersionOf, open, type AeadKey } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { VendorPrincipal } from '../api-keys/api-keys.service.ts';
import type { AuditEvent, AuditService } from '../audit/audit.service.ts';
import type { ContactService, OpenedContact } from '../contacts/contacts.service.ts';
import * as conversations from '../conversations/conversations.repository.ts';
import { toMessageView } from '../conversations/message-view.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import { fromHandle, toHandle, vendorKeys, type VendorKeys } from '../vendors/pseudonyms.ts';
import { contactsPage, messagesQuery, tagInput } from './vendor-api.schema.ts';
import { vendorContact, vendorMessage, type VendorContact, type VendorMessage } from './vendor-view.ts';

/**
 * What a vendor key can do: read pages of customers and one customer, read a conversation's messages,
 * tag a customer. Ids in and out are per-vendor handles; fields follow the key's allowlist; every
 * request is audited with actor `api_key` (one `sensitive_read` per customer it returned).
 */
export function createVendorApi(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey' | 'contactKey'>;
  contacts: Pick<ContactService, 'openPage' | 'openOne'>;
  clock: Clock;
  tenants: Pick<TenantService, 'getById'>;
  audit: Pick<AuditService, 'appendMany' | 'prepare'>;
}) {
  const { db } = deps;

  const keysOf = (p: VendorPrincipal) =>
    vendorKeys(deps.keyring, p.tenantId, p.vendor.id, p.vendor.pseudonymKeyVersion);

  function base(p: VendorPrincipal, action: AuditEvent['action'], target: AuditEvent['target']): AuditEvent {
    return {
      tenantId: p.tenantId,
      actor: { type: 'api_key', id: p.keyId },
      action,
      target,
      outcome: 'success',
      clientIp: p.ip,
      requestId: p.requestId,
    };
  }

  /** One entry per returned customer (its clear fields, if any, encrypted under its key), committed before answering. */
  async function recordReads(
    p: VendorPrincipal,
    opened: readonly OpenedContact[],
    clear: string[][],
    extra?: AuditEvent,
  ) {
    const events = opened.map((o, i) => ({
      ...base(p, 'sensitive_read', { type: 'contact', id: o.contact.id }),
      ...(clear[i]!.length > 0
        ? {
            subject: { contactId: o.contact.id, key: o.key },
            detail: { fields: clear[i], via: 'vendor_api' },
          }
        : {}),
    }));
    const all = extra ? [extra, ...events] : events;
    const prepared = await Promise.all(all.map((e) => deps.audit.prepare(e)));
    await db.transaction().execute((trx) => deps.audit.appendMany(trx, prepared));
  }

  function contactIdOf(keys: VendorKeys, handle: string): string {
    const id = fromHandle(keys, handle, 'ct');
    if (!id) throw new NotFoundError('Contact');
    return id;
  }

  return {
    /** The key's own facts (no customer data); the use is audited like every other. */
    async me(p: VendorPrincipal) {
      await recordReads(p, [], [], base(p, 'api_key_use', { type: 'api_key', id: p.keyId }));
      return {
        keyId: p.keyId,
        vendor: { id: p.vendor.id, name: p.vendor.name },
        scopes: p.scopes,
        fields: p.fields,
      };
    },

    async listContacts(
      p: VendorPrincipal,
      query: unknown,
    ): Promise<{ contacts: VendorContact[]; nextCursor: string | null }> {
      const q = parseInput(contactsPage, query);
      const keys = await keysOf(p);
      const afterId = q.cursor ? contactIdOf(keys, q.cursor) : undefined;
      const tenant = await deps.tenants.getById(p.tenantId);
      const opened = await deps.contacts.openPage(tenant, { afterId, limit: q.limit });
      const shown = opened.map((o) => vendorContact(keys, p.fields, o.contact));
      await recordReads(
        p,
        opened,
        shown.map((s) => s.clear),
        base(p, 'sensitive_read', { type: 'contact_list', id: p.vendor.id }),
      );
      const last = opened.at(-1);
      return {
        contacts: shown.map((s) => s.contact),
        nextCursor: opened.length === q.limit && last ? toHandle(keys, last.contact.id) : null,
      };
    },

    async getContact(
      p: VendorPrincipal,
      handle: string,
    ): Promise<{ contact: VendorContact & { conversations?: string[] } }> {
      const keys = await keysOf(p);
      const tenant = await deps.tenants.getById(p.tenantId);
      const opened = await deps.contacts.openOne(tenant, contactIdOf(keys, handle));
      const shown = vendorContact(keys, p.fields, opened.contact);
      await recordReads(p, [opened], [shown.clear]);
      if (p.scopes.messages === 'none') return { contact: shown.contact };
      const convs = await conversations.conversationsOfContacts(db, p.tenantId, [opened.contact.id]);
      return { contact: { ...shown.contact, conversations: convs.map((c) => toHandle(keys, c.id)) } };
    },

    async addTag(p: VendorPrincipal, handle: string, body: unknown): Promise<{ contact: VendorContact }> {
      const { tag } = parseInput(tagInput, body);
      const keys = await keysOf(p);
      const tenant = await deps.tenants.getById(p.tenantId);
      const id = contactIdOf(keys, handle);
      const opened = await deps.contacts.openOne(tenant, id);
      const tags = opened.contact.tags.includes(tag) ? opened.contact.tags : [...opened.contact.tags, tag];
      await db.transaction().execute(async (trx) => {
        await conversations.setTags(
          trx,
          p.tenantId,
          id,
          JSON.stringify(tags),
          deps.clock.now().toISOString(),
        );
        await deps.audit.appendMany(trx, [
          {
            ...base(p, 'sensitive_update', { type: 'contact', id }),
            detail: { fields: ['tags'], via: 'vendor_api' },
          },
        ]);
      });
      return { contact: vendorContact(keys, p.fields, { ...opened.contact, tags }).contact };
    },

    async messages(
      p: VendorPrincipal,
      handle: string,
      query: unknown,
    ): Promise<{ messages: VendorMessage[] }> {
      const { limit } = parseInput(messagesQuery, query);
      const keys = await keysOf(p);
      const id = fromHandle(keys, handle, 'cv');
      const row = id ? await conversations.findConversation(db, p.tenantId, id) : undefined;
      if (!id || !row) throw new NotFoundError('Conversation');
      const tenant = await deps.tenants.getById(p.tenantId);
      const opened = await deps.contacts.openOne(tenant, row.contact_id);
      const rows = await conversations.recentMessages(db, p.tenantId, id, limit);
      const contactKeys = new Map<number, AeadKey>([[opened.key.id, opened.key]]);
      const out: VendorMessage[] = [];
      for (const m of rows.reverse()) {
        const version = keyVersionOf(m.content_ct);
        let key = contactKeys.get(version);
        if (!key) {
          key = await deps.keyring.contactKey(p.tenantId, row.contact_id, version);
          contactKeys.set(version, key);
        }
        const content =
          p.fields.messageBody === 'clear'
            ? (JSON.parse(
                open(key, m.content_ct, associatedData(p.tenantId, 'messages', 'content', m.id)).toString(
                  'utf8',
                ),
              ) as Record<string, unknown>)
            : {};
        out.push(vendorMessage(keys, p.fields, toMessageView(m, content), opened.contact.phone));
      }
      const event = {
        ...base(p, 'sensitive_read', { type: 'conversation', id }),
        subject: { contactId: row.contact_id, key: opened.key },
        detail: { messages: out.length, body: p.fields.messageBody === 'clear', via: 'vendor_api' },
      };
      await recordReads(p, [], [], event);
      return { messages: out };
    },
  };
}

export type VendorApi = ReturnType<typeof createVendorApi>;
