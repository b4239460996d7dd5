import { z } from 'zod';

/**
 * Meta's webhook envelope and the parts ChatVault acts on. Objects pass unknown keys through:
 * future fields are tolerated and kept (the whole message object is stored encrypted).
 */
const id = z.string().min(1).max(512);
const digits = z.string().regex(/^\d{5,20}$/);
const bsuid = z.string().min(3).max(160);
const unixSeconds = z.string().regex(/^\d{1,12}$/);
/** Meta's names (types, fields, statuses, categories): lower-case words, stored as plain text. */
const word = (max: number) => z.string().regex(new RegExp(`^[a-z][a-z0-9_-]{0,${max - 1}}$`));

export const webhookContact = z
  .object({
    wa_id: digits.optional(),
    user_id: bsuid.optional(),
    profile: z
      .object({ name: z.string().max(1024).optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();

export const inboundMessage = z
  .object({
    id,
    from: digits.optional(),
    from_user_id: bsuid.optional(),
    timestamp: unixSeconds,
    type: word(64),
  })
  .passthrough();
export type InboundMessage = z.infer<typeof inboundMessage>;

const metaError = z.object({ code: z.number().int() }).passthrough();

export const statusUpdate = z
  .object({
    id,
    status: word(32),
    timestamp: unixSeconds,
    recipient_id: z.string().max(64).optional(),
    biz_opaque_callback_data: z.string().max(512).optional(),
    errors: z.array(metaError).max(20).optional(),
    pricing: z
      .object({ category: z.string().max(64).optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();
export type StatusUpdate = z.infer<typeof statusUpdate>;

const metadata = z.object({ phone_number_id: z.string().min(1).max(64) }).passthrough();

export const messagesValue = z
  .object({
    messaging_product: z.literal('whatsapp'),
    metadata,
    contacts: z.array(webhookContact).max(1000).optional(),
    messages: z.array(inboundMessage).max(1000).optional(),
    statuses: z.array(statusUpdate).max(1000).optional(),
    errors: z.array(metaError).max(1000).optional(),
  })
  .passthrough();
export type MessagesValue = z.infer<typeof messagesValue>;

export const userPreference = z
  .object({
    wa_id: digits.optional(),
    user_id: bsuid.optional(),
    category: z.string().max(64),
    value: z.enum(['stop', 'resume']),
    timestamp: z.number().int().nonnegative().max(99_999_999_999),
  })
  .passthrough();

export const userPreferencesValue = z
  .object({
    messaging_product: z.literal('whatsapp'),
    metadata,
    contacts: z.array(webhookContact).max(1000).optional(),
    user_preferences: z.array(userPreference).max(1000),
  })
  .passthrough();
export type UserPreferencesValue = z.infer<typeof userPreferencesValue>;

export const envelope = z
  .object({
    object: z.literal('whatsapp_business_account'),
    entry: z
      .array(
        z
          .object({
            id: z.string().max(64),
            changes: z
              .array(z.object({ field: word(64), value: z.record(z.unknown()) }).passthrough())
              .max(1000),
          })
          .passthrough(),
      )
      .min(1)
      .max(1000),
  })
  .passthrough();
export type Envelope = z.infer<typeof envelope>;
