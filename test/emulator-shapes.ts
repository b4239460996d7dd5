// zod schemas of the webhook bodies: the shapes of the reference (§1.4–§1.12) and of Meta's webhook
// references it cites, strict so that an unexpected key fails.
import { z } from 'zod';

const digits = z.string().regex(/^\d+$/);
const bsuid = z.string().regex(/^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/);
const wamid = z.string().regex(/^wamid\.[A-Za-z0-9+/]+=*$/);
const unixString = z.string().regex(/^\d{10}$/);
const webhookError = z
  .object({
    code: z.number().int(),
    title: z.string().min(1),
    message: z.string().min(1),
    error_data: z.object({ details: z.string().min(1) }).strict(),
    href: z.string().startsWith('/documentation/').optional(),
  })
  .strict();
const contact = z
  .object({
    profile: z.object({ name: z.string().min(1), username: z.string().startsWith('@').optional() }).strict(),
    wa_id: z.string().regex(/^\d*$/).optional(),
    user_id: bsuid,
    parent_user_id: bsuid.optional(),
    country_code: z.string().regex(/^[A-Z]{2}$/),
  })
  .strict();
const preferenceContact = z.object({ wa_id: digits.optional(), user_id: bsuid }).strict();
const media = {
  mime_type: z.string().regex(/^[a-z]+\/[a-z0-9.+-]+(; codecs=opus)?$/),
  sha256: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
  id: digits,
  url: z.string().url().optional(),
};
const caption = { caption: z.string().min(1).optional() };
const base = {
  context: z
    .union([
      z.object({ from: digits, id: wamid }).strict(),
      z.object({ forwarded: z.literal(true) }).strict(),
      z.object({ frequently_forwarded: z.literal(true) }).strict(),
    ])
    .optional(),
  from: digits.optional(),
  from_user_id: bsuid,
  id: wamid,
  timestamp: unixString,
  referral: z
    .object({
      source_url: z.string().url(),
      source_id: z.string(),
      source_type: z.literal('ad'),
      body: z.string(),
      headline: z.string(),
      media_type: z.enum(['image', 'video']),
      image_url: z.string().url().optional(),
      video_url: z.string().url().optional(),
      thumbnail_url: z.string().url().optional(),
      ctwa_clid: z.string().optional(),
      welcome_message: z.object({ text: z.string() }).strict(),
    })
    .strict()
    .optional(),
};
const kind = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ ...base, type: z.literal(type), ...shape }).strict();
export const message = z.discriminatedUnion('type', [
  kind('text', { text: z.object({ body: z.string().min(1) }).strict() }),
  kind('image', { image: z.object({ ...caption, ...media }).strict() }),
  kind('video', { video: z.object({ ...caption, ...media }).strict() }),
  kind('audio', { audio: z.object(media).strict() }),
  kind('sticker', { sticker: z.object({ ...media, animated: z.boolean() }).strict() }),
  kind('document', { document: z.object({ ...caption, filename: z.string().min(1), ...media }).strict() }),
  kind('location', {
    location: z
      .object({
        address: z.string().optional(),
        latitude: z.number(),
        longitude: z.number(),
        name: z.string().optional(),
        url: z.string().url().optional(),
      })
      .strict(),
  }),
  kind('contacts', {
    contacts: z
      .array(
        z
          .object({
            name: z.object({ formatted_name: z.string(), first_name: z.string().optional() }).passthrough(),
            phones: z.array(
              z.object({ phone: z.string(), wa_id: digits.optional(), type: z.string() }).strict(),
            ),
          })
          .passthrough(),
      )
      .min(1),
  }),
  kind('interactive', {
    interactive: z.union([
      z
        .object({
          type: z.literal('button_reply'),
          button_reply: z.object({ id: z.string(), title: z.string() }).strict(),
        })
        .strict(),
      z
        .object({
          type: z.literal('list_reply'),
          list_reply: z.object({ id: z.string(), title: z.string(), description: z.string() }).strict(),
        })
        .strict(),
    ]),
  }),
  kind('button', { button: z.object({ payload: z.string(), text: z.string() }).strict() }),
  kind('reaction', {
    reaction: z.object({ message_id: wamid, emoji: z.string().min(1).optional() }).strict(),
  }),
  kind('unsupported', {
    errors: z.array(webhookError.extend({ code: z.literal(131051) })).length(1),
    unsupported: z.object({ type: z.string() }).strict(),
  }),
]);
export const status = z
  .object({
    id: wamid,
    status: z.enum(['sent', 'delivered', 'read', 'failed', 'played']),
    timestamp: unixString,
    recipient_id: z.string().regex(/^\d*$/),
    recipient_user_id: bsuid.optional(),
    biz_opaque_callback_data: z.string().optional(),
    conversation: z
      .object({
        id: z.string().regex(/^[0-9a-f]{32}$/),
        expiration_timestamp: unixString,
        origin: z.object({ type: z.string() }).strict(),
      })
      .strict()
      .optional(),
    pricing: z
      .object({
        billable: z.boolean(),
        pricing_model: z.enum(['CBP', 'PMP']),
        type: z.enum(['regular', 'free_customer_service', 'free_entry_point']),
        category: z.enum([
          'authentication',
          'authentication-international',
          'marketing',
          'marketing_lite',
          'referral_conversion',
          'service',
          'utility',
        ]),
      })
      .strict()
      .optional(),
    errors: z.array(webhookError).min(1).optional(),
  })
  .strict();
const preference = z
  .object({
    wa_id: digits.optional(),
    user_id: bsuid,
    detail: z.enum([
      'User requested to stop marketing messages',
      'User requested to resume marketing messages',
    ]),
    category: z.literal('marketing_messages'),
    value: z.enum(['stop', 'resume']),
    timestamp: z.number().int(),
  })
  .strict();
const value = z
  .object({
    messaging_product: z.literal('whatsapp'),
    metadata: z.object({ display_phone_number: digits, phone_number_id: digits }).strict(),
    contacts: z
      .array(z.union([contact, preferenceContact]))
      .min(1)
      .optional(),
    messages: z.array(message).min(1).optional(),
    statuses: z.array(status).min(1).optional(),
    errors: z.array(webhookError).min(1).optional(),
    user_preferences: z.array(preference).min(1).optional(),
  })
  .strict();
export const envelope = z
  .object({
    object: z.literal('whatsapp_business_account'),
    entry: z
      .array(
        z
          .object({
            id: digits,
            changes: z
              .array(z.object({ value, field: z.enum(['messages', 'user_preferences']) }).strict())
              .min(1),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
