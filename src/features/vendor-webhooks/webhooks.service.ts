import { randomBytes } from 'node:crypto';
import { associatedData, keyVersionOf, open, seal } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Logger } from '../../lib/logger.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { ApiKeyService } from '../api-keys/api-keys.service.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import { toMessageView } from '../conversations/message-view.ts';
import type { Keyring } from '../keys/keyring.ts';
import { enqueueOnce } from '../messages/messages.repository.ts';
import { newOutboxRow } from '../outbox/outbox-row.ts';
import type { OutboxJob } from '../outbox/outbox.worker.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import { vendorContact, vendorMessage } from '../vendor-api/vendor-view.ts';
import { toHandle, vendorKeys } from '../vendors/pseudonyms.ts';
import type { ChangeContext } from '../vendors/vendors.service.ts';
import * as repo from './webhooks.repository.ts';
import {
  deliveryJob,
  subscribeInput,
  type DeliveryJob,
  type SubscribeInput,
  type WebhookEvent,
} from './webhooks.schema.ts';
import { signVendorWebhook, SIGNATURE_HEADER } from './signature.ts';

export const WEBHOOK_JOB_KIND = 'vendor_webhook';
const CACHE_MS = 5_000;
const TIMEOUT_MS = 10_000;

/** What ingest reports inside its transaction (ids only); the fan-out enqueues outbox jobs there too. */
export interface IngestEvents {
  messageStored(
    trx: Db,
    tenantId: string,
    e: { contactId: string; conversationId: string; messageId: string },
  ): Promise<void>;
  optedOut(trx: Db, tenantId: string, e: { contactId: string }): Promise<void>;
}

const secretAd = (tenantId: string, id: string) => associatedData(tenantId, 'vendor_webhooks', 'secret', id);

/**
 * Outbound webhooks to vendors: subscriptions bound to one API key (whose field allowlist and state
 * apply), events enqueued in ingest's transaction through the outbox, payloads built and signed at
 * delivery time (`Chatvault-Signature`), retried with the outbox's exponential backoff, each attempt
 * in the delivery log and each delivered event audited as a read by the key.
 */
export function createVendorWebhooks(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey' | 'contactKey'>;
  apiKeys: Pick<ApiKeyService, 'usable' | 'get'>;
  contacts: Pick<ContactService, 'openOne'>;
  tenants: Pick<TenantService, 'getById'>;
  audit: Pick<AuditService, 'append' | 'appendMany'>;
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
}) {
  const { db, clock } = deps;
  const cache = new Map<string, { at: number; subs: { id: string; events: WebhookEvent[] }[] }>();

  async function subscriptions(trx: Db, tenantId: string) {
    const hit = cache.get(tenantId);
    const now = Date.now();
    if (hit && now - hit.at < CACHE_MS) return hit.subs;
    const rows = await repo.activeSubscriptions(trx, tenantId);
    const subs = rows.map((r) => ({ id: r.id, events: JSON.parse(r.events) as WebhookEvent[] }));
    if (cache.size > 10_000) cache.clear();
    cache.set(tenantId, { at: now, subs });
    return subs;
  }

  async function fanOut(
    trx: Db,
    tenantId: string,
    type: WebhookEvent,
    data: Omit<DeliveryJob, 'webhookId' | 'eventId' | 'type' | 'at'>,
  ) {
    const subs = (await subscriptions(trx, tenantId)).filter((s) => s.events.includes(type));
    if (subs.length === 0) return;
    const restricted = await deps.keyring.tenantKey(tenantId, 'restricted');
    const eventId = newId('evt');
    const at = clock.now().toISOString();
    for (const s of subs) {
      const payload: DeliveryJob = { webhookId: s.id, eventId, type, at, ...data };
      await enqueueOnce(
        trx,
        newOutboxRow(
          restricted,
          {
            tenantId,
            kind: WEBHOOK_JOB_KIND,
            idempotencyKey: `${WEBHOOK_JOB_KIND}:${s.id}:${eventId}`,
            payload,
          },
          at,
        ),
      );
    }
  }

  function view(row: Awaited<ReturnType<typeof repo.findWebhook>> & object) {
    return {
      id: row.id,
      vendorId: row.vendor_id,
      keyId: row.key_id,
      url: row.url,
      events: JSON.parse(row.events) as WebhookEvent[],
      createdAt: row.created_at,
      createdBy: row.created_by,
      disabledAt: row.disabled_at,
    };
  }

  async function recordDelivery(
    tenantId: string,
    job: DeliveryJob,
    attempt: number,
    outcome: string,
    started: number,
    httpStatus: number | null,
    error: string | null,
  ) {
    await repo.insertDelivery(db, {
      id: newId('wd'),
      tenant_id: tenantId,
      webhook_id: job.webhookId,
      event_id: job.eventId,
      event: job.type,
      attempt,
      outcome,
      http_status: httpStatus,
      error,
      duration_ms: Math.max(0, Date.now() - started),
      at: clock.now().toISOString(),
    });
  }

  /** The outbox handler: builds the payload for the key's allowlist, signs it, posts it. */
  async function deliver(job: OutboxJob): Promise<void> {
    const started = Date.now();
    const j = parseInput(deliveryJob, job.payload);
    const row = await repo.findWebhook(db, job.tenantId, j.webhookId);
    if (!row || row.disabled_at)
      return recordDelivery(job.tenantId, j, job.attempts, 'skipped', started, null, 'webhook disabled');
    const usable = await deps.apiKeys.usable(job.tenantId, row.key_id);
    if ('refused' in usable)
      return recordDelivery(job.tenantId, j, job.attempts, 'skipped', started, null, `key ${usable.refused}`);
    const { key, vendor } = usable;
    const keys = await vendorKeys(deps.keyring, job.tenantId, vendor.id, vendor.pseudonymKeyVersion);
    const tenant = await deps.tenants.getById(job.tenantId);
    const opened = await deps.contacts.openOne(tenant, j.contactId);
    const shown = vendorContact(keys, key.fields, opened.contact);
    const data: Record<string, unknown> = { contact: shown.contact };
    if (j.conversationId) data.conversationId = toHandle(keys, j.conversationId);
    if (j.messageId) {
      const m = await db
        .selectFrom('messages')
        .select(['id', 'direction', 'type', 'content_ct', 'status', 'error_code', 'sent_at'])
        .where('tenant_id', '=', job.tenantId)
        .where('id', '=', j.messageId)
        .executeTakeFirst();
      if (m) {
        const content =
          key.fields.messageBody === 'clear'
            ? (JSON.parse(
                open(
                  await deps.keyring.contactKey(job.tenantId, j.contactId, keyVersionOf(m.content_ct)),
                  m.content_ct,
                  associatedData(job.tenantId, 'messages', 'content', m.id),
                ).toString('utf8'),
              ) as Record<string, unknown>)
            : {};
        const stored = { ...m, media_id: null, mime_type: null, size_bytes: null };
        data.message = vendorMessage(keys, key.fields, toMessageView(stored, content), opened.contact.phone);
      }
    }
    const body = JSON.stringify({ id: j.eventId, type: j.type, created: j.at, data });
    const restricted = await deps.keyring.tenantKey(job.tenantId, 'restricted', keyVersionOf(row.secret_ct));
    const secret = open(restricted, row.secret_ct, secretAd(job.tenantId, row.id)).toString('utf8');
    const send = deps.fetch ?? fetch;
    let status: number | null = null;
    try {
      const res = await send(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signVendorWebhook(secret, body, clock.now()),
          'chatvault-event-id': j.eventId,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = res.status;
      await res.body?.cancel();
    } catch {
      await recordDelivery(job.tenantId, j, job.attempts, 'retry', started, null, 'network error or timeout');
      throw new Error('vendor webhook: network error or timeout');
    }
    if (status < 200 || status >= 300) {
      await recordDelivery(job.tenantId, j, job.attempts, 'retry', started, status, `http ${status}`);
      throw new Error(`vendor webhook: endpoint answered ${status}`);
    }
    await recordDelivery(job.tenantId, j, job.attempts, 'delivered', started, status, null);
    await db.transaction().execute((trx) =>
      deps.audit.append(trx, {
        tenantId: job.tenantId,
        actor: { type: 'api_key', id: key.id },
        action: 'sensitive_read',
        target: { type: 'contact', id: j.contactId },
        outcome: 'success',
        subject: { contactId: j.contactId, key: opened.key },
        detail: { via: 'webhook', event: j.type, webhookId: row.id, fields: shown.clear },
      }),
    );
  }

  return {
    /** Subscribes a vendor endpoint; returns the signing secret once (kept sealed to sign deliveries). */
    async subscribe(
      tenantId: string,
      vendorId: string,
      input: SubscribeInput,
      actor: AuditActor,
      ctx: ChangeContext = {},
    ) {
      const v = parseInput(subscribeInput, input);
      const key = await deps.apiKeys.get(tenantId, v.keyId);
      if (key.vendorId !== vendorId) throw new ValidationError('keyId: the key belongs to another vendor');
      if (key.status !== 'active') throw new ValidationError(`keyId: the key is ${key.status}`);
      const id = newId('wh');
      const secret = `whsec_${randomBytes(32).toString('base64url')}`;
      const restricted = await deps.keyring.tenantKey(tenantId, 'restricted');
      const row = {
        id,
        tenant_id: tenantId,
        vendor_id: vendorId,
        key_id: key.id,
        url: v.url,
        events: JSON.stringify([...new Set(v.events)]),
        secret_ct: seal(restricted, Buffer.from(secret, 'utf8'), secretAd(tenantId, id)),
        created_by: actor.id,
        created_at: clock.now().toISOString(),
        disabled_at: null,
      };
      await db.transaction().execute(async (trx) => {
        await repo.insertWebhook(trx, row);
        await deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'vendor_change',
          target: { type: 'vendor_webhook', id },
          outcome: 'success',
          detail: { change: 'subscribe', vendorId, keyId: key.id, events: v.events },
          ...ctx,
        });
      });
      cache.delete(tenantId);
      return { webhook: view(row), secret };
    },

    async list(tenantId: string, vendorId?: string) {
      return (await repo.listWebhooks(db, tenantId, vendorId)).map(view);
    },

    async disable(tenantId: string, id: string, actor: AuditActor, ctx: ChangeContext = {}) {
      const row = await repo.findWebhook(db, tenantId, id);
      if (!row) throw new NotFoundError('Webhook');
      const at = clock.now().toISOString();
      await db.transaction().execute(async (trx) => {
        await repo.disableWebhook(trx, tenantId, id, at);
        await deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'vendor_change',
          target: { type: 'vendor_webhook', id },
          outcome: 'success',
          detail: { change: 'disable' },
          ...ctx,
        });
      });
      cache.delete(tenantId);
      return view({ ...row, disabled_at: at });
    },

    /** The delivery log of one webhook, newest first. */
    async deliveries(tenantId: string, id: string, limit = 100) {
      if (!(await repo.findWebhook(db, tenantId, id))) throw new NotFoundError('Webhook');
      return (await repo.listDeliveries(db, tenantId, id, Math.min(500, Math.max(1, limit)))).map((d) => ({
        id: d.id,
        eventId: d.event_id,
        event: d.event,
        attempt: d.attempt,
        outcome: d.outcome,
        httpStatus: d.http_status,
        error: d.error,
        durationMs: d.duration_ms,
        at: d.at,
      }));
    },

    /** For ingest: enqueue deliveries in its transaction (a cached lookup when nobody subscribed). */
    ingestEvents: {
      messageStored: (trx, tenantId, e) => fanOut(trx, tenantId, 'message.received', e),
      optedOut: (trx, tenantId, e) => fanOut(trx, tenantId, 'contact.opted_out', e),
    } satisfies IngestEvents,

    deliver,
  };
}

export type VendorWebhooks = ReturnType<typeof createVendorWebhooks>;
