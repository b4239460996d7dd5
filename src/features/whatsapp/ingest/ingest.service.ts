import { associatedData, seal, type AeadKey } from '../../../lib/crypto/aead.ts';
import type { Clock } from '../../../lib/clock.ts';
import { newId } from '../../../lib/ids.ts';
import { parseInput } from '../../../lib/validation.ts';
import type { Db } from '../../../db/database.ts';
import type { Channel } from '../../channels/channels.service.ts';
import type { ContactUpserter } from '../../contacts/contact-upsert.ts';
import type { Keyring } from '../../keys/keyring.ts';
import * as repo from '../../messages/messages.repository.ts';
import { newOutboxRow } from '../../outbox/outbox-row.ts';
import { wamidKey as hashWamid } from '../../messages/wamid.ts';
import type { Tenant } from '../../tenants/tenants.service.ts';
import type { ConsentLedger } from '../../consent/consent.service.ts';
import type { ConsentSignals } from '../../consent/signals.ts';
import type { IngestEvents } from '../../vendor-webhooks/webhooks.service.ts';
import { restrictMessage } from '../../dlp/restricted-field.ts';
import type { DlpSettings } from '../../dlp/dlp-settings.ts';
import type { CampaignEvents } from '../../campaigns/campaign-events.ts';
import {
  messagesValue,
  userPreferencesValue,
  type Envelope,
  type InboundMessage,
  type MessagesValue,
  type StatusUpdate,
  type UserPreferencesValue,
} from './webhook.schema.ts';

export interface IngestStats {
  messages: number;
  duplicates: number;
  statuses: number;
  preferences: number;
  errors: number;
  other: number;
}

/** Meta's media ids are opaque tokens; anything else cannot be fetched and is kept only in the message. */
const MEDIA_ID = /^[A-Za-z0-9_.-]{1,200}$/;
const MEDIA_TYPES = new Set(['image', 'audio', 'video', 'document', 'sticker']);
const STATUS_RANK = ['accepted', 'sent', 'delivered', 'read', 'played'];
const WINDOW_MS = 24 * 3600 * 1000;
/** Meta's "this customer stopped marketing messages" error. */
const OPTED_OUT = 131050;

/**
 * Turns one verified webhook delivery into durable rows, inside the caller's transaction: customers
 * upserted, messages encrypted under each customer's key (deduplicated by wamid), conversations and
 * their service windows, statuses, consent events, media fetch jobs. Nothing readable is stored.
 */
export function createIngestService(deps: {
  keyring: Pick<Keyring, 'indexKey' | 'tenantKey'>;
  upsertContact: ContactUpserter;
  clock: Clock;
  consent: Pick<ConsentLedger, 'record'>;
  consentSignals: Pick<ConsentSignals, 'onInbound'>;
  /** Outbound vendor webhooks: enqueued in this transaction (a cached no-op without subscribers). */
  vendorEvents?: IngestEvents;
  /** Campaign statuses, template and quality updates (campaigns/); a no-op for other items. */
  campaignEvents?: Pick<CampaignEvents, 'status' | 'field'>;
  /** The tenant's enabled DLP detectors (dlp/); all restricted kinds without it. */
  dlp?: Pick<DlpSettings, 'restrictedKinds'>;
}) {
  const { keyring, clock } = deps;

  const wamidKey = (tenant: Tenant, wamid: string) => hashWamid(keyring, tenant.id, wamid);

  async function sealForTenant(tenant: Tenant, table: string, id: string, value: unknown): Promise<Buffer> {
    const key = await keyring.tenantKey(tenant.id, 'restricted');
    return seal(key, Buffer.from(JSON.stringify(value)), associatedData(tenant.id, table, 'payload', id));
  }

  async function touchConversation(trx: Db, tenant: Tenant, channel: Channel, contactId: string, at: Date) {
    return repo.touchConversationOnInbound(trx, {
      id: newId('cv'),
      tenant_id: tenant.id,
      contact_id: contactId,
      channel_id: channel.id,
      last_inbound_at: at.toISOString(),
      window_expires_at: new Date(at.getTime() + WINDOW_MS).toISOString(),
      unread: 1,
      updated_at: clock.now().toISOString(),
    });
  }

  async function storeMessage(
    trx: Db,
    tenant: Tenant,
    channel: Channel,
    value: MessagesValue,
    m: InboundMessage,
  ) {
    const contact = value.contacts?.find(
      (c) => (m.from && c.wa_id === m.from) || (m.from_user_id && c.user_id === m.from_user_id),
    );
    const identity = {
      userId: m.from_user_id ?? contact?.user_id,
      waId: m.from ?? contact?.wa_id,
      profileName: contact?.profile?.name,
    };
    if (!identity.userId && !identity.waId) return 'skipped' as const;
    const { contactId, key } = await deps.upsertContact(trx, tenant, identity);
    const sentAt = new Date(Number(m.timestamp) * 1000);
    const conversationId = await touchConversation(trx, tenant, channel, contactId, sentAt);
    const id = newId('ms');
    const stored = await repo.insertMessageOnce(trx, {
      id,
      tenant_id: tenant.id,
      conversation_id: conversationId,
      contact_id: contactId,
      direction: 'inbound',
      type: m.type,
      wamid_key: await wamidKey(tenant, m.id),
      // Cards, IDs, IBANs… are cut out of the body into a doubly sealed `restricted` field (dlp/).
      content_ct: sealContent(
        key,
        tenant,
        id,
        await restrictMessage(
          keyring,
          tenant.id,
          id,
          key,
          m,
          await deps.dlp?.restrictedKinds(tenant.id, trx),
        ),
      ),
      status: 'received',
      error_code: null,
      sent_at: sentAt.toISOString(),
      created_at: clock.now().toISOString(),
    });
    if (!stored) {
      await repo.undoInboundUnread(trx, conversationId);
      return 'duplicate' as const;
    }
    const media = MEDIA_TYPES.has(m.type) ? (m[m.type] as { id?: unknown } | undefined) : undefined;
    if (media && typeof media.id === 'string' && MEDIA_ID.test(media.id))
      await enqueueMediaFetch(trx, tenant, channel, id, contactId, m.type, media);
    // A STOP keyword or button is an opt-out like Meta's own: the consent ledger tells subscribers.
    await deps.consentSignals.onInbound(trx, {
      tenant,
      channelId: channel.id,
      contactId,
      key,
      conversationId,
      messageId: id,
      message: m,
      sentAt,
    });
    await deps.vendorEvents?.messageStored(trx, tenant.id, { contactId, conversationId, messageId: id });
    return 'stored' as const;
  }

  async function enqueueMediaFetch(
    trx: Db,
    tenant: Tenant,
    channel: Channel,
    messageId: string,
    contactId: string,
    type: string,
    media: object,
  ) {
    const mediaId = (media as { id: string }).id;
    const job = {
      tenantId: tenant.id,
      kind: 'media_fetch',
      idempotencyKey: `media_fetch:${tenant.id}:${mediaId}`,
      payload: { channelId: channel.id, messageId, contactId, type, media },
    };
    const restricted = await keyring.tenantKey(tenant.id, 'restricted');
    await repo.enqueueOnce(trx, newOutboxRow(restricted, job, clock.now().toISOString()));
  }

  async function storeStatus(trx: Db, tenant: Tenant, s: StatusUpdate) {
    const key = await wamidKey(tenant, s.id);
    // A send interrupted before its wamid was recorded is matched through the id we passed to Meta.
    if (s.biz_opaque_callback_data?.startsWith('ms_')) {
      await trx
        .updateTable('messages')
        .set({ wamid_key: key })
        .where('tenant_id', '=', tenant.id)
        .where('id', '=', s.biz_opaque_callback_data)
        .where('direction', '=', 'outbound')
        .where('status', 'in', ['sending', 'send_unknown'])
        .execute();
    }
    const fresh = await repo.insertStatusOnce(trx, {
      tenant_id: tenant.id,
      wamid_key: key,
      status: s.status,
      at: new Date(Number(s.timestamp) * 1000).toISOString(),
      error_code: s.errors?.[0]?.code ?? null,
      pricing_category: s.pricing?.category ?? null,
      created_at: clock.now().toISOString(),
    });
    if (!fresh) return;
    const rank = STATUS_RANK.indexOf(s.status);
    if (s.status === 'failed') {
      await repo.setMessageStatus(trx, tenant.id, key, STATUS_RANK, 'failed');
      if (s.errors?.some((e) => e.code === OPTED_OUT)) await optOutFromStatus(trx, tenant, key, s);
    } else if (rank > 0)
      await repo.setMessageStatus(trx, tenant.id, key, STATUS_RANK.slice(0, rank), s.status);
  }

  /**
   * Meta reports 131050 (the customer stopped marketing messages) in a failed status as often as in
   * the send answer: the same opt-out, recorded for the customer the message went to.
   */
  async function optOutFromStatus(trx: Db, tenant: Tenant, key: Buffer, s: StatusUpdate) {
    const sent = await trx
      .selectFrom('messages')
      .select(['id', 'contact_id'])
      .where('tenant_id', '=', tenant.id)
      .where('wamid_key', '=', key)
      .where('direction', '=', 'outbound')
      .executeTakeFirst();
    if (!sent) return; // a campaign send: campaigns/campaign-events.ts records it
    await deps.consent.record(trx, {
      tenantId: tenant.id,
      contactId: sent.contact_id,
      purpose: 'marketing',
      event: 'opt_out',
      source: 'send_error_131050',
      at: new Date(Number(s.timestamp) * 1000),
    });
  }

  async function storePreferences(trx: Db, tenant: Tenant, value: UserPreferencesValue, stats: IngestStats) {
    for (const p of value.user_preferences) {
      const name = value.contacts?.find((c) => c.wa_id === p.wa_id)?.profile?.name;
      const { contactId, key } = await deps.upsertContact(trx, tenant, {
        userId: p.user_id,
        waId: p.wa_id,
        profileName: name,
      });
      await deps.consent.record(trx, {
        tenantId: tenant.id,
        contactId,
        purpose: 'marketing',
        event: p.value === 'stop' ? 'opt_out' : 'opt_in',
        source: 'user_preferences',
        evidence: p,
        key,
        at: new Date(p.timestamp * 1000),
      });
      stats.preferences++;
    }
  }

  async function storeChannelEvent(
    trx: Db,
    tenant: Tenant,
    channel: Channel,
    kind: string,
    code: number | null,
    payload: unknown,
  ) {
    const id = newId('ev');
    await repo.insertChannelEvent(trx, {
      id,
      tenant_id: tenant.id,
      channel_id: channel.id,
      kind,
      code,
      payload_ct: await sealForTenant(tenant, 'channel_events', id, payload),
      created_at: clock.now().toISOString(),
    });
  }

  return {
    /** Stores everything in one delivery; throws (rolling back the caller's transaction) on a bad part. */
    async process(trx: Db, tenant: Tenant, channel: Channel, delivery: Envelope): Promise<IngestStats> {
      const stats: IngestStats = {
        messages: 0,
        duplicates: 0,
        statuses: 0,
        preferences: 0,
        errors: 0,
        other: 0,
      };
      for (const entry of delivery.entry) {
        for (const change of entry.changes) {
          if (change.field === 'messages') {
            const value = parseInput(messagesValue, change.value);
            for (const m of value.messages ?? []) {
              const outcome = await storeMessage(trx, tenant, channel, value, m);
              if (outcome === 'stored') stats.messages++;
              if (outcome === 'duplicate') stats.duplicates++;
            }
            for (const s of value.statuses ?? []) {
              await storeStatus(trx, tenant, s);
              await deps.campaignEvents?.status(trx, tenant.id, s);
              stats.statuses++;
            }
            for (const e of value.errors ?? []) {
              await storeChannelEvent(trx, tenant, channel, 'error', e.code, e);
              stats.errors++;
            }
          } else if (change.field === 'user_preferences') {
            await storePreferences(trx, tenant, parseInput(userPreferencesValue, change.value), stats);
          } else {
            await storeChannelEvent(trx, tenant, channel, `field:${change.field}`, null, change.value);
            await deps.campaignEvents?.field(trx, tenant.id, channel.id, change.field, change.value);
            stats.other++;
          }
        }
      }
      return stats;
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;

function sealContent(key: AeadKey, tenant: Tenant, messageId: string, message: InboundMessage): Buffer {
  return seal(
    key,
    Buffer.from(JSON.stringify(message)),
    associatedData(tenant.id, 'messages', 'content', messageId),
  );
}
