import { associatedData, open } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { ContactCodec } from '../contacts/contact-codec.ts';
import * as contactsRepo from '../contacts/contacts.repository.ts';
import type { Keyring } from '../keys/keyring.ts';
import { PermanentJobError, RetryJobError, type OutboxJob } from '../outbox/outbox.worker.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import { GraphApiError, pairRateBackoffSeconds } from '../whatsapp/graph/graph-errors.ts';
import type { SendLimiter } from '../whatsapp/rate-limits.ts';
import { wamidKey } from './wamid.ts';
import { expandCollectTokens } from '../collect/link-token.ts';
import type { ConsentLedger } from '../consent/consent.service.ts';

interface SendPayload {
  channelId: string;
  messageId: string;
  contactId: string;
  /** Set at enqueue for a marketing template: consent is checked again right before sending. */
  marketing?: boolean;
}

/**
 * The `send_message` job. At most once: the message is marked `sending` (committed) before the Graph
 * API call, and a job that finds it `sending` after a crash marks it `send_unknown` instead of sending
 * again (status webhooks carry the message id back in `biz_opaque_callback_data`). Errors are handled
 * by Meta's code: back off, wait for the pair limit, record an opt-out, mark undeliverable, or surface.
 */
export function createSendJob(deps: {
  db: Db;
  channels: Pick<ChannelService, 'get'>;
  tenants: Pick<TenantService, 'getById'>;
  keyring: Pick<Keyring, 'openContactKey' | 'indexKey'>;
  codec: ContactCodec;
  graph: GraphClient;
  limiter: Pick<SendLimiter, 'reserve'>;
  clock: Clock;
  logger: Logger;
  consent: Pick<ConsentLedger, 'isAllowed' | 'record'>;
}) {
  const { db, clock } = deps;
  const setStatus = (id: string, status: string, errorCode: number | null = null) =>
    db.updateTable('messages').set({ status, error_code: errorCode }).where('id', '=', id).execute();

  async function recordOptOut(tenantId: string, contactId: string, messageId: string): Promise<void> {
    await db.transaction().execute((trx) =>
      deps.consent.record(trx, {
        tenantId,
        contactId,
        purpose: 'marketing',
        event: 'opt_out',
        source: 'send_error_131050',
        at: clock.now(),
        evidence: { code: 131050, messageId },
      }),
    );
  }

  return async function sendMessage(job: OutboxJob): Promise<void> {
    const p = job.payload as SendPayload;
    const message = await db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', p.messageId)
      .executeTakeFirst();
    if (!message || message.tenant_id !== job.tenantId) throw new PermanentJobError('message not found');
    if (message.status === 'sending') {
      await setStatus(message.id, 'send_unknown');
      throw new PermanentJobError('send outcome unknown after an interruption; not sending twice');
    }
    if (message.status !== 'queued') return;
    const channel = await deps.channels.get(p.channelId);
    const tenant = await deps.tenants.getById(job.tenantId);
    const contact = await contactsRepo.findById(db, job.tenantId, p.contactId);
    if (!contact?.key_wrapped) throw new PermanentJobError('customer no longer exists');
    const key = await deps.keyring.openContactKey(
      tenant.id,
      contact.id,
      contact.key_version,
      contact.key_wrapped,
    );
    const phone = deps.codec.decryptPhone(tenant, key, contact);
    if (!phone) throw new PermanentJobError('customer has no phone number');
    const content = JSON.parse(
      open(key, message.content_ct, associatedData(tenant.id, 'messages', 'content', message.id)).toString(
        'utf8',
      ),
    ) as Record<string, unknown>;

    // The pair limit, then a place in the number's window shared with campaigns (rate-limits.ts).
    const place = await deps.limiter.reserve(channel.phoneNumberId, contact.id);
    if ('wait' in place) throw new RetryJobError('rate limited locally', place.wait);
    try {
      if (p.marketing === true && !(await deps.consent.isAllowed(tenant.id, contact.id, 'marketing'))) {
        await setStatus(message.id, 'blocked_consent');
        throw new PermanentJobError('marketing consent withdrawn before sending');
      }
      await setStatus(message.id, 'sending');
    } catch (error) {
      place.release(false);
      throw error;
    }
    try {
      const body = {
        recipient_type: 'individual',
        to: phone,
        biz_opaque_callback_data: message.id,
        // A secure collection link's token is put in only now; it is never stored (collect/).
        ...(await expandCollectTokens(db, deps.keyring, tenant.id, contact.id, content)),
      };
      const result = await deps.graph.sendMessage(channel, body).finally(() => place.release());
      const wamid = result.messages[0]!.id;
      await db
        .updateTable('messages')
        .set({ status: 'accepted', wamid_key: await wamidKey(deps.keyring, tenant.id, wamid) })
        .where('id', '=', message.id)
        .execute();
    } catch (error) {
      place.release(false); // no-op when the call was made (released at its answer)
      if (!(error instanceof GraphApiError)) {
        await setStatus(message.id, 'queued');
        throw error;
      }
      await handleGraphError(error, message.id, job);
    }
  };

  async function handleGraphError(error: GraphApiError, messageId: string, job: OutboxJob): Promise<never> {
    const p = job.payload as SendPayload;
    switch (error.handling) {
      case 'throughput':
      case 'retry':
        await setStatus(messageId, 'queued');
        throw new RetryJobError(`Meta ${error.metaCode}`, Math.min(60_000, 1000 * 2 ** job.attempts));
      case 'pair_rate':
        await setStatus(messageId, 'queued');
        throw new RetryJobError(`Meta ${error.metaCode}`, pairRateBackoffSeconds(job.attempts) * 1000);
      case 'token_problem':
        await setStatus(messageId, 'queued');
        deps.logger.error(
          { channel: p.channelId, code: error.metaCode },
          'Graph API rejected the access token; rotate it',
        );
        throw new RetryJobError(`Meta ${error.metaCode}: token problem`, 15 * 60_000);
      case 'opted_out':
        await recordOptOut(job.tenantId, p.contactId, messageId);
        await setStatus(messageId, 'failed', error.metaCode);
        throw new PermanentJobError(`Meta ${error.metaCode}: recipient opted out`);
      case 'undeliverable':
        await setStatus(messageId, 'undeliverable', error.metaCode);
        throw new PermanentJobError(`Meta ${error.metaCode}: undeliverable`);
      default:
        await setStatus(messageId, 'failed', error.metaCode);
        throw new PermanentJobError(`Meta ${error.metaCode}: ${error.handling}`);
    }
  }
}
