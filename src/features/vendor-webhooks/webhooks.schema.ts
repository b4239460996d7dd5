import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';

export const WEBHOOK_EVENTS = ['message.received', 'contact.opted_out'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https anywhere; plain http only to a loopback receiver (development and tests). */
export const webhookUrl = z
  .string()
  .max(2048)
  .url()
  .refine((v) => {
    const u = new URL(v);
    if (u.username || u.password) return false;
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
  }, 'must be an https URL (http only to a loopback address), without credentials');

export const subscribeInput = z
  .object({
    keyId: z.string().max(40).regex(ID_PATTERN, 'keyId must be an id'),
    url: webhookUrl,
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length),
  })
  .strict();
export type SubscribeInput = z.input<typeof subscribeInput>;

/** What an outbox job of kind `vendor_webhook` carries: ids only, no personal data. */
export const deliveryJob = z
  .object({
    webhookId: z.string().max(40),
    eventId: z.string().max(40),
    type: z.enum(WEBHOOK_EVENTS),
    at: z.string().max(40),
    contactId: z.string().max(40),
    conversationId: z.string().max(40).optional(),
    messageId: z.string().max(40).optional(),
  })
  .strict();
export type DeliveryJob = z.infer<typeof deliveryJob>;
