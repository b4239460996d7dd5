import { associatedData, seal, type AeadKey } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import { pendingWamidKey } from '../messages/wamid.ts';
import { enqueueOnce } from '../messages/messages.repository.ts';
import { newOutboxRow } from '../outbox/outbox-row.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import type { ConsentLedger } from './consent.service.ts';
import { buttonIntent, MAX_KEYWORD_LENGTH, type KeywordIntent } from './keywords.ts';

const WINDOW_MS = 24 * 3600 * 1000;
const KEYWORD_SCAN_LIMIT = MAX_KEYWORD_LENGTH * 2 + 8;

/** What ingest knows about a freshly stored inbound message. */
export interface InboundSignal {
  readonly tenant: Tenant;
  readonly channelId: string;
  readonly contactId: string;
  readonly key: AeadKey;
  readonly conversationId: string;
  readonly messageId: string;
  readonly message: { readonly type: string; readonly [k: string]: unknown };
  readonly sentAt: Date;
}

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The opt-out/opt-in intent of a message and how it was expressed, without touching the database. */
function classify(
  message: InboundSignal['message'],
  keywords: () => Promise<{ match(text: string): KeywordIntent | undefined }>,
): Promise<{ intent: KeywordIntent; source: 'keyword' | 'button' } | undefined> | undefined {
  if (message.type === 'text') {
    const body = str((message.text as Json | undefined)?.body);
    if (body === undefined || body.length > KEYWORD_SCAN_LIMIT) return undefined;
    return keywords().then((m) => {
      const intent = m.match(body);
      return intent && { intent, source: 'keyword' as const };
    });
  }
  let intent: KeywordIntent | undefined;
  if (message.type === 'button') {
    const b = (message.button ?? {}) as Json;
    intent = buttonIntent(str(b.payload), str(b.text));
  } else if (message.type === 'interactive') {
    const reply = ((message.interactive ?? {}) as Json).button_reply as Json | undefined;
    if (reply) intent = buttonIntent(str(reply.id), str(reply.title));
  }
  return intent ? Promise.resolve({ intent, source: 'button' as const }) : undefined;
}

/**
 * The in-chat opt-out and opt-in signals (keywords and quick-reply buttons): recorded in the consent
 * ledger inside the ingest transaction, and confirmed to the customer with a reply queued through the
 * outbox while the service window is open. Most messages leave after one type check and a length check.
 */
export function createConsentSignals(deps: {
  ledger: Pick<ConsentLedger, 'record' | 'settings'>;
  keyring: Pick<Keyring, 'tenantKey' | 'indexKey'>;
  clock: Clock;
}) {
  const { ledger, clock } = deps;

  async function queueReply(trx: Db, s: InboundSignal, text: string): Promise<void> {
    const id = newId('ms');
    const at = clock.now().toISOString();
    const content = { type: 'text', text: { body: text } };
    await trx
      .insertInto('messages')
      .values({
        id,
        tenant_id: s.tenant.id,
        conversation_id: s.conversationId,
        contact_id: s.contactId,
        direction: 'outbound',
        type: 'text',
        wamid_key: await pendingWamidKey(deps.keyring, s.tenant.id, id),
        content_ct: seal(
          s.key,
          Buffer.from(JSON.stringify(content)),
          associatedData(s.tenant.id, 'messages', 'content', id),
        ),
        status: 'queued',
        error_code: null,
        sent_at: at,
        created_at: at,
      })
      .execute();
    const restricted = await deps.keyring.tenantKey(s.tenant.id, 'restricted');
    const job = {
      tenantId: s.tenant.id,
      kind: 'send_message',
      idempotencyKey: `send_message:${id}`,
      payload: { channelId: s.channelId, messageId: id, contactId: s.contactId },
    };
    await enqueueOnce(trx, newOutboxRow(restricted, job, at));
  }

  return {
    /**
     * Looks at one stored inbound message; records and confirms an opt-out/opt-in when it is one.
     * Answers what was recorded (and whether it changed the customer's state), so the caller can tell
     * subscribers about an opt-out.
     */
    async onInbound(
      trx: Db,
      s: InboundSignal,
    ): Promise<{ intent: KeywordIntent; changed: boolean } | undefined> {
      const found = classify(s.message, async () => (await ledger.settings(s.tenant.id)).matcher);
      if (found === undefined) return undefined;
      const signal = await found;
      if (signal === undefined) return undefined;
      const { changed } = await ledger.record(trx, {
        tenantId: s.tenant.id,
        contactId: s.contactId,
        purpose: 'marketing',
        event: signal.intent,
        source: signal.source,
        at: s.sentAt,
        key: s.key,
        evidence: { messageId: s.messageId, type: s.message.type, via: signal.source },
      });
      const windowOpen = s.sentAt.getTime() + WINDOW_MS > clock.now().getTime();
      if (changed && windowOpen) {
        const { value } = await ledger.settings(s.tenant.id);
        await queueReply(trx, s, signal.intent === 'opt_out' ? value.optOutReply : value.optInReply);
      }
      return { intent: signal.intent, changed };
    },
  };
}

export type ConsentSignals = ReturnType<typeof createConsentSignals>;
