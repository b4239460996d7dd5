import { z } from 'zod';
import { LANGUAGES, TEMPLATE_IDS } from './forms.ts';

export const createLinkInput = z
  .object({
    template: z.enum(TEMPLATE_IDS),
    language: z.enum(LANGUAGES).default('en'),
    /** Minutes until the link expires: 30 by default, 5 to 120. */
    expiresInMinutes: z.number().int().min(5).max(120).default(30),
  })
  .strict();

const noticeText = z.string().trim().min(10).max(1000);
export const noticeInput = z
  .object({ notice: z.object({ en: noticeText, zh: noticeText }).strict() })
  .strict();

/** A submitted form, decrypted at reveal: field name → value, bounded. */
export const submittedFields = z
  .record(z.string().max(40), z.string().max(2000))
  .refine((r) => Object.keys(r).length <= 20);
