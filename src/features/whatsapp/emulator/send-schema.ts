import { z } from 'zod';

const mediaId = z.string().regex(/^\d{1,30}$/, 'must be a media id');
const link = z.string().url().max(2048);

/** A media object of a send: exactly one of `id` (uploaded) or `link`. */
const media = z
  .object({
    id: mediaId.optional(),
    link: link.optional(),
    caption: z.string().max(1024).optional(),
    filename: z.string().max(240).optional(),
  })
  .refine((m) => (m.id === undefined) !== (m.link === undefined), 'needs exactly one of id or link');

const templateParameter = z.object({
  type: z.enum(['text', 'currency', 'date_time', 'image', 'video', 'document', 'payload', 'coupon_code']),
  parameter_name: z
    .string()
    .regex(/^[a-z0-9_]{1,64}$/)
    .optional(),
  text: z.string().max(32_768).optional(),
  payload: z.string().max(256).optional(),
  coupon_code: z.string().max(20).optional(),
  image: media.optional(),
  video: media.optional(),
  document: media.optional(),
  currency: z
    .object({ fallback_value: z.string().max(64), code: z.string().length(3), amount_1000: z.number().int() })
    .optional(),
  date_time: z
    .object({ fallback_value: z.string().max(64) })
    .passthrough()
    .optional(),
});
export type TemplateParameter = z.infer<typeof templateParameter>;

const templateComponent = z.object({
  type: z
    .string()
    .max(16)
    .transform((t) => t.toLowerCase())
    .pipe(z.enum(['header', 'body', 'button'])),
  sub_type: z
    .string()
    .max(32)
    .transform((t) => t.toLowerCase())
    .pipe(z.enum(['quick_reply', 'url', 'copy_code', 'flow']))
    .optional(),
  index: z.union([z.string().regex(/^\d{1,2}$/), z.number().int().min(0).max(9)]).optional(),
  parameters: z.array(templateParameter).max(100).default([]),
});
export type TemplateComponentInput = z.infer<typeof templateComponent>;

const template = z.object({
  name: z.string().min(1).max(512),
  language: z.object({ code: z.string().min(2).max(15), policy: z.literal('deterministic').optional() }),
  components: z.array(templateComponent).max(20).default([]),
});
export type TemplateInput = z.infer<typeof template>;

const replyButton = z.object({
  type: z.literal('reply'),
  reply: z.object({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }),
});
const listRow = z.object({
  id: z.string().min(1).max(200),
  title: z.string().min(1).max(24),
  description: z.string().max(72).optional(),
});

const interactive = z
  .object({
    type: z.enum(['button', 'list', 'cta_url', 'location_request_message']),
    header: z
      .object({ type: z.enum(['text', 'image', 'video', 'document']) })
      .passthrough()
      .optional(),
    body: z.object({ text: z.string().min(1).max(4096) }),
    footer: z.object({ text: z.string().min(1).max(60) }).optional(),
    action: z.object({
      buttons: z.array(replyButton).min(1).max(3).optional(),
      button: z.string().min(1).max(20).optional(),
      sections: z
        .array(z.object({ title: z.string().max(24).optional(), rows: z.array(listRow).min(1).max(10) }))
        .min(1)
        .max(10)
        .optional(),
      name: z.string().max(64).optional(),
      parameters: z
        .object({ display_text: z.string().max(20), url: link })
        .partial()
        .optional(),
    }),
  })
  .superRefine((i, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: ['action', path], message });
    if (i.type === 'button' && !i.action.buttons) problem('buttons', 'is required');
    if (i.type === 'list') {
      if (!i.action.button) problem('button', 'is required');
      if (!i.action.sections) problem('sections', 'is required');
      else if (i.action.sections.reduce((n, s) => n + s.rows.length, 0) > 10)
        problem('sections', 'holds at most 10 rows');
    }
    if (i.type === 'cta_url' && (!i.action.parameters?.display_text || !i.action.parameters.url))
      problem('parameters', 'needs display_text and url');
  });

const MESSAGE_TYPES = [
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'template',
  'reaction',
  'interactive',
  'location',
  'contacts',
] as const;
export type OutboundType = (typeof MESSAGE_TYPES)[number];

/** `POST /{phone-number-id}/messages` for a message. */
export const sendMessage = z
  .object({
    messaging_product: z.literal('whatsapp'),
    recipient_type: z.enum(['individual', 'group']).default('individual'),
    to: z.string().min(1).max(256),
    type: z.enum(MESSAGE_TYPES).default('text'),
    context: z.object({ message_id: z.string().min(1).max(256) }).optional(),
    biz_opaque_callback_data: z.string().max(512).optional(),
    text: z.object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }).optional(),
    image: media.optional(),
    audio: media.optional(),
    video: media.optional(),
    document: media.optional(),
    sticker: media.optional(),
    template: template.optional(),
    reaction: z.object({ message_id: z.string().min(1).max(256), emoji: z.string().max(32) }).optional(),
    interactive: interactive.optional(),
    location: z
      .object({
        latitude: z.number().min(-90).max(90),
        longitude: z.number().min(-180).max(180),
        name: z.string().max(1000).optional(),
        address: z.string().max(1000).optional(),
      })
      .optional(),
    contacts: z
      .array(
        z
          .object({ name: z.object({ formatted_name: z.string().min(1).max(1000) }).passthrough() })
          .passthrough(),
      )
      .min(1)
      .max(257)
      .optional(),
  })
  .superRefine((m, ctx) => {
    if (m[m.type] === undefined) ctx.addIssue({ code: 'custom', path: [m.type], message: 'is required' });
  });
export type SendMessage = z.infer<typeof sendMessage>;

/** `POST /{phone-number-id}/messages` marking an inbound message read (§2.6). */
export const markRead = z.object({
  messaging_product: z.literal('whatsapp'),
  status: z.literal('read'),
  message_id: z.string().min(1).max(256),
  typing_indicator: z.object({ type: z.literal('text') }).optional(),
});

/** `(#100)` details naming the first problem's path and rule, never the value. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue?.path.join('.') || 'body';
  if (!issue) return `The parameter ${path} is invalid.`;
  const rule =
    issue.code === 'invalid_enum_value'
      ? `must be one of ${issue.options.join(', ')}`
      : issue.code === 'invalid_literal'
        ? `must be ${JSON.stringify(issue.expected)}`
        : issue.message;
  return `The parameter ${path} is invalid: ${rule}.`;
}
