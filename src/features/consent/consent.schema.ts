import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';
import { DEFAULT_OPT_IN_KEYWORDS, DEFAULT_OPT_OUT_KEYWORDS, MAX_KEYWORD_LENGTH } from './keywords.ts';

export const CONSENT_PURPOSES = ['marketing', 'utility'] as const;
export const CONSENT_SOURCES = [
  'web_form',
  'keyword',
  'button',
  'user_preferences',
  'send_error_131050',
  'import',
  'agent',
] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

const keyword = z.string().trim().min(1).max(MAX_KEYWORD_LENGTH);
const reply = z.string().trim().min(1).max(1024);

/** Per-tenant consent settings: keywords replace the defaults; replies are sent inside the window. */
export const consentSettings = z
  .object({
    optOutKeywords: z
      .array(keyword)
      .max(100)
      .default([...DEFAULT_OPT_OUT_KEYWORDS]),
    optInKeywords: z
      .array(keyword)
      .max(100)
      .default([...DEFAULT_OPT_IN_KEYWORDS]),
    optOutReply: reply.default(
      'You will no longer receive marketing messages from us. Reply START to subscribe again.',
    ),
    optInReply: reply.default('You are subscribed to our marketing messages again. Reply STOP to opt out.'),
    /** What the hosted opt-in page says the messages are about (Meta asks for the purpose to be stated). */
    optInPurpose: z.string().trim().min(3).max(300).default('offers, news and product updates on WhatsApp'),
  })
  .strict();
export type ConsentSettings = z.infer<typeof consentSettings>;

const isoTime = z
  .string()
  .datetime({ offset: true })
  .transform((v) => new Date(v));

/** `POST /api/v1/consent/import`: opt-ins collected elsewhere, each with its evidence. */
export const consentImport = z
  .object({
    items: z
      .array(
        z
          .object({
            contactId: z.string().regex(ID_PATTERN),
            purpose: z.enum(CONSENT_PURPOSES),
            event: z.enum(['opt_in', 'opt_out']).default('opt_in'),
            at: isoTime,
            evidence: z
              .object({
                method: z.string().trim().min(2).max(100),
                text: z.string().max(2000).optional(),
                reference: z.string().max(200).optional(),
              })
              .strict(),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();
